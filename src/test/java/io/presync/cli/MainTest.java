package io.presync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.StringWriter;
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
