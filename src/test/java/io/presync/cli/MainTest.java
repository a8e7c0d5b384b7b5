package io.presync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest
{
    @Test
    void unknownOptionIsUsageError()
    {
        final StringWriter err = new StringWriter();
        final int code = Main.execute(new String[] {"--no-such-option"}, new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(Main.EXIT_USAGE, code);
        assertTrue(err.toString().contains("--no-such-option"), err.toString());
    }

    @Test
    void helpSucceeds()
    {
        final StringWriter out = new StringWriter();
        assertEquals(Main.EXIT_OK, Main.execute(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
        assertTrue(out.toString().contains("presync"));
    }

    /**
     * Every command's help, as a user reaches it (the lean trees included), renders without picocli's format warnings:
     * picocli runs descriptions through String.format, so a bare percent sign ("95% of") printed three warnings to
     * stderr and the raw text instead of the help.
     */
    @Test
    void everyCommandsHelpRendersWithoutWarnings()
    {
        final List<List<String>> paths = new ArrayList<>();
        collectPaths(new CommandLine(new Main()), new ArrayList<>(), paths);
        assertTrue(paths.size() > 15, "the tree has all its commands: " + paths);
        final PrintStream systemErr = System.err;
        final ByteArrayOutputStream tracer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(tracer, true, StandardCharsets.UTF_8));
        try
        {
            for (final List<String> path : paths)
            {
                final List<String> args = new ArrayList<>(path);
                args.add("--help");
                final StringWriter out = new StringWriter();
                final StringWriter err = new StringWriter();
                assertEquals(Main.EXIT_OK, Main.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err)), args.toString());
                assertTrue(out.toString().startsWith("Usage: presync " + String.join(" ", path)), args + ": " + out);
                assertEquals("", err.toString(), args.toString());
                assertTrue(!out.toString().contains("%n") && !out.toString().contains("%%"), args + ": unformatted text in\n" + out);
                assertEquals("", tracer.toString(StandardCharsets.UTF_8), args + ": picocli warned");
            }
        }
        finally
        {
            System.setErr(systemErr);
        }
    }

    private static void collectPaths(final CommandLine command, final List<String> path,
        final List<List<String>> paths)
    {
        for (final var sub : command.getSubcommands().entrySet())
        {
            if (sub.getKey().equals("help") || !sub.getValue().getCommandName().equals(sub.getKey()))
            {
                continue; // the help command, and aliases (the same command under another name)
            }
            final List<String> next = new ArrayList<>(path);
            next.add(sub.getKey());
            paths.add(next);
            collectPaths(sub.getValue(), next, paths);
        }
    }

    @Test
    void aNamedSubcommandIsTheOnlyOneBuilt()
    {
        final var lean = Main.commandLineFor(new String[] {"copy", "--from", "/dev/a", "--to", "/dev/b"});
        assertEquals(Set.of("copy"), lean.getSubcommands().keySet());
        assertEquals("presync", lean.getCommandName());
        final var device = Main.commandLineFor(new String[] {"device", "info", "/dev/a"});
        assertEquals(Set.of("device"), device.getSubcommands().keySet());
        assertTrue(device.getSubcommands().get("device").getSubcommands().containsKey("info"), "nested subcommands too");
    }

    @Test
    void helpAndUnknownNamesGetTheFullTree()
    {
        final int all = Main.commandLineFor(new String[0]).getSubcommands().size();
        assertTrue(all > 3, "every subcommand: " + all);
        assertEquals(all, Main.commandLineFor(new String[] {"--help"}).getSubcommands().size());
        assertEquals(all, Main.commandLineFor(new String[] {"help", "copy"}).getSubcommands().size());
        assertEquals(all, Main.commandLineFor(new String[] {"cpoy"}).getSubcommands().size());

        final StringWriter err = new StringWriter();
        assertEquals(Main.EXIT_USAGE, Main.execute(new String[] {"cpoy"}, new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertTrue(err.toString().contains("cpoy"), err.toString());
    }

    @Test
    void theLeanRootBehavesAsMain()
    {
        final StringWriter out = new StringWriter();
        assertEquals(Main.EXIT_OK, Main.execute(new String[] {"copy", "--help"}, new PrintWriter(out), new PrintWriter(new StringWriter())));
        assertTrue(out.toString().startsWith("Usage: presync copy"), out.toString());

        final StringWriter err = new StringWriter();
        assertEquals(Main.EXIT_USAGE, Main.execute(new String[] {"copy", "--from", "/dev/null"}, new PrintWriter(new StringWriter()),
            new PrintWriter(err)));
        assertTrue(err.toString().contains("--to"), err.toString());

        final var main = Main.commandLineFor(new String[0]).getCommandSpec();
        final var lean = Main.commandLineFor(new String[] {"copy"}).getCommandSpec();
        assertEquals(main.version()[0], lean.version()[0]);
        assertEquals(main.usageMessage().description()[0], lean.usageMessage().description()[0]);
        assertEquals(main.options().size(), lean.options().size());
    }

    @Test
    void theCacheTrainingRunsEveryLineAndReturnsTheFirstFailure(@TempDir final Path dir) throws Exception
    {
        // Blank lines are skipped; a refused command (usage code 2) does not stop the lines after it.
        final Path commands = writeLines(dir.resolve("train"), "--version", "", "log\tdump\t" + dir.resolve("missing"),
            "--version");
        assertEquals(Main.EXIT_USAGE, Main.train(commands));
        assertEquals(Main.EXIT_OK, Main.train(writeLines(dir.resolve("ok"), "--version", "help\tcopy")));
        assertEquals(Main.EXIT_FAILURE, Main.train(dir.resolve("absent")));
    }

    private static Path writeLines(final Path file, final String... lines) throws Exception
    {
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }
}
