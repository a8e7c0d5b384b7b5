package io.presync.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@code presync replicate} runs on a model built in code (ReplicateCommand.model, JobOptions.addTo,
 * Main.leanRoot) instead of the one picocli derives from the annotations; both must read, parse and refuse
 * the same.
 */
class ReplicateCommandModelTest
{
    private static final String NAME = "replicate";
    private static final String[] LEAN = {NAME};

    @Test
    void usageHelpIsTheAnnotatedOne()
    {
        InCodeModel.assertUsageHelpIsTheAnnotatedOne(NAME);
    }

    @Test
    void everyOptionIsThereWithTheSameShape()
    {
        final CommandLine.Model.CommandSpec a = InCodeModel.annotated(NAME).getCommandSpec();
        final CommandLine.Model.CommandSpec b = InCodeModel.inCode(NAME).getCommandSpec();
        assertEquals(a.options().size(), b.options().size());
        for (final CommandLine.Model.OptionSpec option : a.options())
        {
            final CommandLine.Model.OptionSpec other = b.findOption(option.longestName());
            assertEquals(option.longestName(), other.longestName());
            assertEquals(option.type(), other.type(), option.longestName());
            assertEquals(option.arity(), other.arity(), option.longestName());
            assertEquals(option.required(), other.required(), option.longestName());
            assertEquals(option.hidden(), other.hidden(), option.longestName());
            assertEquals(option.defaultValue(), other.defaultValue(), option.longestName());
            if (option.arity().max() > 0)
            {
                // A flag's label is never shown; picocli names it after the annotated field.
                assertEquals(option.paramLabel(), other.paramLabel(), option.longestName());
            }
            assertEquals(List.of(option.description()), List.of(other.description()), option.longestName());
        }
    }

    @Test
    void optionsParseIntoTheSameFields()
    {
        for (final String[] args : new String[][] {
            {"--master", "/dev/loop0", "--pool", "/dev/loop1"},
            {"--pool=/dev/b", "--master=/dev/a", "--partition", "vm", "--until-synced", "--json", "--log", "/tmp/x"},
            {"--master", "/dev/a", "--pool", "/dev/b", "--confidence", "0.5", "--max-partition", "2G", "--history",
                "/tmp/h.csv", "--history-format", "series", "--copy-order", "lba", "--tracking", "coarse", "--stream", "eager",
                "--bulk-limit", "100M", "--sync-timeout", "30s", "--tap-buffer=1M", "--final-verify", "slave"}})
        {
            final ReplicateCommand a = InCodeModel.parse(new CommandLine(new Main()), NAME, args);
            final ReplicateCommand b = InCodeModel.parse(Main.commandLineFor(LEAN), NAME, args);
            assertNotSame(a, b);
            assertEquals(a.jobOptions.master, b.jobOptions.master);
            assertEquals(a.jobOptions.pool, b.jobOptions.pool);
            assertEquals(a.jobOptions.partition, b.jobOptions.partition);
            assertEquals(a.jobOptions.confidence, b.jobOptions.confidence);
            assertEquals(a.jobOptions.maxPartitionBytes, b.jobOptions.maxPartitionBytes);
            assertEquals(a.jobOptions.history, b.jobOptions.history);
            assertEquals(a.jobOptions.historyFormat, b.jobOptions.historyFormat);
            assertEquals(a.jobOptions.copyOrder, b.jobOptions.copyOrder);
            assertEquals(a.jobOptions.tracking, b.jobOptions.tracking);
            assertEquals(a.jobOptions.stream, b.jobOptions.stream);
            assertEquals(a.jobOptions.bulkLimitBytesPerSecond, b.jobOptions.bulkLimitBytesPerSecond);
            assertEquals(a.logDirectory, b.logDirectory);
            assertEquals(a.untilSynced, b.untilSynced);
            assertEquals(a.syncTimeoutNanos, b.syncTimeoutNanos);
            assertEquals(a.tapBufferBytes, b.tapBufferBytes);
            assertEquals(a.json, b.json);
            assertEquals(a.finalVerify, b.finalVerify);
            assertSame(Main.commandLineFor(LEAN).getClass(), b.spec.commandLine().getClass());
        }
        final ReplicateCommand defaults = InCodeModel.parse(Main.commandLineFor(LEAN), NAME, new String[] {"--master", "/dev/a", "--pool", "/dev/b"});
        assertEquals(Path.of("/dev/a"), defaults.jobOptions.master);
        assertEquals(0.95, defaults.jobOptions.confidence);
        assertEquals("cold-first", defaults.jobOptions.copyOrder);
        assertNull(defaults.jobOptions.bulkLimitBytesPerSecond);
        assertFalse(defaults.untilSynced);
        assertEquals(4L << 20, defaults.tapBufferBytes);
        assertEquals("full", defaults.finalVerify);
    }

    @Test
    void parsingTwiceStartsFromTheDefaultsAndWarnsOfNothing()
    {
        final String err = InCodeModel.stderrDuring(() ->
        {
            final CommandLine root = Main.commandLineFor(LEAN);
            InCodeModel.parse(root, NAME, new String[] {"--master", "/dev/a", "--pool", "/dev/b", "--until-synced", "--json",
                "--sync-timeout", "10s", "--bulk-limit", "1M", "--max-partition", "1G", "--confidence", "0.5", "--partition", "p"});
            final ReplicateCommand again = InCodeModel.parse(root, NAME, new String[] {"--master", "/dev/a", "--pool", "/dev/b"});
            assertFalse(again.untilSynced, "the default again, not the value of the first parse");
            assertFalse(again.json);
            assertEquals(0L, again.syncTimeoutNanos);
            assertNull(again.jobOptions.bulkLimitBytesPerSecond);
            assertEquals(0L, again.jobOptions.maxPartitionBytes);
            assertEquals(0.95, again.jobOptions.confidence);
            assertNull(again.jobOptions.partition);
        });
        assertEquals("", err);
    }

    /** Bad input is refused with the same sentence and exit code through either model (no device is touched). */
    @Test
    void errorsReadTheSame()
    {
        for (final String[] args : new String[][] {
            {"replicate", "--master", "/dev/a"},
            {"replicate", "--pool", "/dev/b"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--tap-buffer", "1.5M"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--max-partition", "-1"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--bulk-limit", "lots"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--confidence", "high"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--confidence", "1.5"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--sync-timeout", "soon", "--until-synced"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--sync-timeout", "10s"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--final-verify", "maybe", "--until-synced"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--copy-order", "random"},
            {"replicate", "--master", "/dev/a", "--pool", "/dev/b", "--bogus"},
            {"replicate", "--master"},
            {"replicate", "-h"},
            {"replicate", "-V"}})
        {
            final int code = InCodeModel.assertSameOutcome(args);
            final String what = String.join(" ", args);
            assertEquals(args.length > 1 && (args[1].equals("-h") || args[1].equals("-V")) ? 0 : Main.EXIT_USAGE, code, what);
        }
    }
}
