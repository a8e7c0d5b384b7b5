package io.presync.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

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
}
