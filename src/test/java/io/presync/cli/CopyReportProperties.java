package io.presync.cli;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;

import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The copy report, built without java.util.Formatter, reads exactly as the printf it replaces. */
class CopyReportProperties
{
    @Property
    void decimalsAreThoseOfFormatter(@ForAll @DoubleRange(min = 0, max = 1e7) @Scale(7) final double value)
    {
        assertEquals(String.format(Locale.ROOT, "%.2f", value), CopyCommand.decimal(value, 2));
        assertEquals(String.format(Locale.ROOT, "%.1f", value), CopyCommand.decimal(value, 1));
    }

    @Property
    void halfwayCasesRoundAsFormatterDoes(@ForAll @LongRange(min = 0, max = 100_000) final long thousandths)
    {
        final double value = thousandths / 1000.0 + 0.005;
        assertEquals(String.format(Locale.ROOT, "%.2f", value), CopyCommand.decimal(value, 2));
    }

    @Example
    void carriesRunThroughNinesAndThePoint()
    {
        assertEquals("10.00", CopyCommand.decimal(9.995, 2));
        assertEquals("1000.0", CopyCommand.decimal(999.96, 1));
        assertEquals("0.42", CopyCommand.decimal(0.415, 2));
        assertEquals("3.00", CopyCommand.decimal(3, 2));
        assertEquals("0.00", CopyCommand.decimal(0, 2));
    }

    @Property
    void sizesAreThoseOfSizeConverter(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) final long bytes)
    {
        assertEquals(SizeConverter.format(bytes), CopyCommand.size(bytes));
        assertEquals(SizeConverter.format(bytes >>> 20), CopyCommand.size(bytes >>> 20));
    }

    @Property
    void theReportIsTheFormerPrintf(@ForAll @LongRange(min = 1, max = 1L << 42) final long bytes,
        @ForAll @DoubleRange(min = 0.001, max = 10_000) @Scale(9) final double seconds)
    {
        final Path from = Path.of("/dev/loop0");
        final Path to = Path.of("/dev/loop1");
        assertEquals(String.format(Locale.ROOT, "copied %s from %s to %s in %.2f s (%s/s)%n", SizeConverter.format(bytes),
            from, to, seconds, SizeConverter.format((long)(bytes / Math.max(seconds, 1e-9)))),
            CopyCommand.report(bytes, from, to, seconds));
    }
}
