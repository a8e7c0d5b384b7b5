package io.presync.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/**
 * {@code presync copy} runs on a model built in code (CopyCommand.model, Main.leanRoot) instead of the
 * one picocli derives from the annotations; both must read and parse the same.
 */
class CopyCommandModelTest
{
    private static final String NAME = "copy";

    @Test
    void usageHelpIsTheAnnotatedOne()
    {
        InCodeModel.assertUsageHelpIsTheAnnotatedOne(NAME);
    }

    @Test
    void optionsParseIntoTheSameFields()
    {
        for (final String[] args : new String[][] {
            {"--from", "/dev/loop0", "--to", "/dev/loop1"},
            {"--to=/dev/b", "--from=/dev/a", "--queue-depth", "64", "--chunk", "256K"},
            {"--from", "/dev/a", "--to", "/dev/b", "--chunk=4m", "--queue-depth=1"}})
        {
            final CopyCommand a = InCodeModel.parse(new CommandLine(new Main()), NAME, args);
            final CopyCommand b = InCodeModel.parse(Main.commandLineFor(new String[] {NAME}), NAME, args);
            assertNotSame(a, b);
            assertEquals(a.from, b.from);
            assertEquals(a.to, b.to);
            assertEquals(a.queueDepth, b.queueDepth);
            assertEquals(a.chunkBytes, b.chunkBytes);
            assertEquals(b.spec, b.spec.commandLine().getCommandSpec());
        }
        final CopyCommand defaults = InCodeModel.parse(Main.commandLineFor(new String[] {NAME}), NAME,
            new String[] {"--from", "/dev/a", "--to", "/dev/b"});
        assertEquals(Path.of("/dev/a"), defaults.from);
        assertEquals(4, defaults.queueDepth);
        assertEquals(io.presync.device.DeviceCopy.DEFAULT_QUEUE_DEPTH, defaults.queueDepth, "the engine's default, named in its errors");
        assertEquals(io.presync.device.DeviceCopy.DEFAULT_CHUNK_BYTES, defaults.chunkBytes);
        assertEquals(8 << 20, defaults.chunkBytes);
    }

    @Test
    void parsingTwiceWarnsOfNothing()
    {
        final String err = InCodeModel.stderrDuring(() ->
        {
            final CommandLine root = Main.commandLineFor(new String[] {NAME});
            InCodeModel.parse(root, NAME, new String[] {"--from", "/dev/a", "--to", "/dev/b", "--queue-depth", "3"});
            final CopyCommand again = InCodeModel.parse(root, NAME, new String[] {"--from", "/dev/a", "--to", "/dev/b"});
            assertEquals(4, again.queueDepth, "the default again, not the value of the first parse");
        });
        assertEquals("", err);
    }

    @Test
    void errorsReadTheSame()
    {
        for (final String[] args : new String[][] {
            {"copy", "--from", "/dev/a"},
            {"copy", "--from", "/dev/a", "--to", "/dev/b", "--chunk", "1.5M"},
            {"copy", "--from", "/dev/a", "--to", "/dev/b", "--queue-depth", "many"},
            {"copy", "--from", "/dev/a", "--to", "/dev/b", "--bogus"},
            {"copy", "-V"}})
        {
            InCodeModel.assertSameOutcome(args);
        }
    }
}
