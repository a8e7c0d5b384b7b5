package io.presync.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class TimelineTest
{
    @Test
    void withoutThePropertyMarksPrintNothing()
    {
        assertFalse(Timeline.ENABLED, "tests run without -Dpresync.timeline");
        Timeline.mark("a");
        Timeline.mark("b");
        Timeline.record("c", System.nanoTime());
        final StringWriter err = new StringWriter();
        Timeline.print(new PrintWriter(err));
        assertEquals("", err.toString());
    }
}
