package io.presync.cli;

import io.presync.ByteSizes;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Scale;

import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The copy report and ByteSizes, built without java.util.Formatter, read exactly as the printf they replace. */
class CopyReportProperties
{
    @Property
    void decimalsAreThoseOfFormatter(@ForAll @DoubleRange(min = 0, max = 1e7) @Scale(7) final double value)
    {
        assertEquals(String.format(Locale.ROOT, "%.2f", value), ByteSizes.decimal(value, 2));
        assertEquals(String.format(Locale.ROOT, "%.1f", value), ByteSizes.decimal(value, 1));
    }

    @Property
    void halfwayCasesRoundAsFormatterDoes(@ForAll @LongRange(min = 0, max = 100_000) final long thousandths)
    {
        final double value = thousandths / 1000.0 + 0.005;
        assertEquals(String.format(Locale.ROOT, "%.2f", value), ByteSizes.decimal(value, 2));
    }

    @Example
    void carriesRunThroughNinesAndThePoint()
    {
        assertEquals("10.00", ByteSizes.decimal(9.995, 2));
        assertEquals("1000.0", ByteSizes.decimal(999.96, 1));
        assertEquals("0.42", ByteSizes.decimal(0.415, 2));
        assertEquals("3.00", ByteSizes.decimal(3, 2));
        assertEquals("0.00", ByteSizes.decimal(0, 2));
    }

    @Property
    void sizesAreTheFormerFormatterOnes(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) final long bytes)
    {
        assertEquals(formatterSize(bytes), ByteSizes.format(bytes));
        assertEquals(formatterSize(bytes >>> 20), ByteSizes.format(bytes >>> 20));
    }

    /** The reference: ByteSizes.format as it was, through String.format. */
    private static String formatterSize(final long bytes)
    {
        final String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        int unit = -1;
        double value = bytes;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        final long whole = (long)value;
        return value == whole ? whole + " " + units[unit] : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
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
