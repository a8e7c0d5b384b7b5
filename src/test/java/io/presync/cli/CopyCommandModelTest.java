package io.presync.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

/**
 * {@code presync copy} runs on a model built in code (CopyCommand.model, Main.leanRoot) instead of the
 * one picocli derives from the annotations; both must read and parse the same.
 */
class CopyCommandModelTest
{
    private static CommandLine annotated()
    {
        return new CommandLine(new Main()).getSubcommands().get("copy");
    }

    private static CommandLine inCode()
    {
        final CommandLine root = Main.commandLineFor(new String[] {"copy"});
        assertEquals(List.of("copy"), List.copyOf(root.getSubcommands().keySet()));
        return root.getSubcommands().get("copy");
    }

    @Test
    void usageHelpIsTheAnnotatedOne()
    {
        assertEquals(annotated().getUsageMessage(CommandLine.Help.Ansi.OFF), inCode().getUsageMessage(CommandLine.Help.Ansi.OFF));
        assertEquals(annotated().getCommandSpec().qualifiedName(), inCode().getCommandSpec().qualifiedName());
    }

    @Test
    void optionsParseIntoTheSameFields()
    {
        for (final String[] args : new String[][] {
            {"--from", "/dev/loop0", "--to", "/dev/loop1"},
            {"--to=/dev/b", "--from=/dev/a", "--queue-depth", "64", "--chunk", "256K"},
            {"--from", "/dev/a", "--to", "/dev/b", "--chunk=4m", "--queue-depth=1"}})
        {
            final CopyCommand a = parse(new CommandLine(new Main()), args);
            final CopyCommand b = parse(Main.commandLineFor(new String[] {"copy"}), args);
            assertNotSame(a, b);
            assertEquals(a.from, b.from);
            assertEquals(a.to, b.to);
            assertEquals(a.queueDepth, b.queueDepth);
            assertEquals(a.chunkBytes, b.chunkBytes);
            assertEquals(b.spec, inCodeSpecOf(b));
        }
        final CopyCommand defaults = parse(Main.commandLineFor(new String[] {"copy"}),
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
        // picocli resets options to their initial values before parsing and warns on stderr when that
        // fails (a primitive field given null).
        final java.io.PrintStream saved = System.err;
        final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true));
        try
        {
            final CommandLine root = Main.commandLineFor(new String[] {"copy"});
            parse(root, new String[] {"--from", "/dev/a", "--to", "/dev/b", "--queue-depth", "3"});
            final CopyCommand again = parse(root, new String[] {"--from", "/dev/a", "--to", "/dev/b"});
            assertEquals(4, again.queueDepth, "the default again, not the value of the first parse");
        }
        finally
        {
            System.setErr(saved);
        }
        assertEquals("", err.toString());
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
            final StringWriter annotatedOut = new StringWriter();
            final StringWriter annotatedErr = new StringWriter();
            final CommandLine full = new CommandLine(new Main());
            full.setOut(new PrintWriter(annotatedOut));
            full.setErr(new PrintWriter(annotatedErr));
            final int annotatedCode = full.execute(args);

            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final CommandLine lean = Main.commandLineFor(args);
            lean.setOut(new PrintWriter(out));
            lean.setErr(new PrintWriter(err));
            assertEquals(annotatedCode, lean.execute(args), String.join(" ", args));
            assertEquals(annotatedErr.toString(), err.toString(), String.join(" ", args));
            assertEquals(annotatedOut.toString(), out.toString(), String.join(" ", args));
        }
    }

    /** Parses {@code copy ARGS} under {@code root}; returns the copy command's object. */
    private static CopyCommand parse(final CommandLine root, final String[] args)
    {
        final String[] withName = new String[args.length + 1];
        withName[0] = "copy";
        System.arraycopy(args, 0, withName, 1, args.length);
        root.parseArgs(withName);
        return root.getSubcommands().get("copy").getCommand();
    }

    private static CommandLine.Model.CommandSpec inCodeSpecOf(final CopyCommand command)
    {
        return command.spec;
    }
}
