package io.presync.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Checks shared by the tests of the commands whose picocli model is built in code for start-up
 * ({@link Main#commandLineFor}: copy, replicate) against the model picocli derives from their annotations.
 */
final class InCodeModel
{
    private InCodeModel()
    {
    }

    /** The command {@code name} in the full, annotated tree. */
    static CommandLine annotated(final String name)
    {
        return new CommandLine(new Main()).getSubcommands().get(name);
    }

    /** The command {@code name} in the lean tree {@code presync NAME ...} runs on: it alone, built in code. */
    static CommandLine inCode(final String name)
    {
        final CommandLine root = Main.commandLineFor(new String[] {name});
        assertEquals(List.of(name), List.copyOf(root.getSubcommands().keySet()));
        return root.getSubcommands().get(name);
    }

    /** The usage help and qualified name of both models are the same. */
    static void assertUsageHelpIsTheAnnotatedOne(final String name)
    {
        assertEquals(annotated(name).getUsageMessage(CommandLine.Help.Ansi.OFF), inCode(name).getUsageMessage(CommandLine.Help.Ansi.OFF));
        assertEquals(annotated(name).getCommandSpec().qualifiedName(), inCode(name).getCommandSpec().qualifiedName());
    }

    /** Parses {@code NAME ARGS} under {@code root}; returns the command's object. */
    static <T> T parse(final CommandLine root, final String name, final String[] args)
    {
        final String[] withName = new String[args.length + 1];
        withName[0] = name;
        System.arraycopy(args, 0, withName, 1, args.length);
        root.parseArgs(withName);
        return root.getSubcommands().get(name).getCommand();
    }

    /**
     * Runs {@code args} (the command's name first) through {@link Main#execute} on the full annotated tree and on
     * the lean one; asserts the same exit code, stdout and stderr, and returns the exit code.
     */
    static int assertSameOutcome(final String[] args)
    {
        final StringWriter annotatedOut = new StringWriter();
        final StringWriter annotatedErr = new StringWriter();
        final int annotatedCode = Main.execute(new CommandLine(new Main()), args, new PrintWriter(annotatedOut),
            new PrintWriter(annotatedErr));

        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        final String what = String.join(" ", args);
        assertEquals(annotatedCode, code, what);
        assertEquals(annotatedErr.toString(), err.toString(), what);
        assertEquals(annotatedOut.toString(), out.toString(), what);
        return code;
    }

    /**
     * What {@code action} printed on System.err: picocli resets options to their initial values before each parse
     * and warns there when that fails (a primitive field given null).
     */
    static String stderrDuring(final Runnable action)
    {
        final java.io.PrintStream saved = System.err;
        final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(err, true));
        try
        {
            action.run();
        }
        finally
        {
            System.setErr(saved);
        }
        return err.toString();
    }
}
