package io.presync.cli;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizeConverterTest
{
    @Test
    void acceptsPlainNumbersAndBinarySuffixes()
    {
        assertEquals(4096L, SizeConverter.parse("4096"));
        assertEquals(4096L, SizeConverter.parse("4K"));
        assertEquals(4096L, SizeConverter.parse("4k"));
        assertEquals(4096L, SizeConverter.parse("4KiB"));
        assertEquals(1L << 20, SizeConverter.parse("1M"));
        assertEquals(3L << 30, SizeConverter.parse("3G"));
        assertEquals(2L << 40, SizeConverter.parse("2T"));
        assertEquals(5L << 20, SizeConverter.parse("5MB"));
        assertEquals(512L, SizeConverter.parse("512B"));
        assertEquals(0L, SizeConverter.parse("0"));
    }

    @Test
    void rejectsNegativeGarbageAndOverflowWithAnExample()
    {
        for (final String bad : new String[] {"-1", "-4K", "abc", "1.5M", "4X", "", "K", "9999999999T", "99999999999999999999"})
        {
            final CommandLine.TypeConversionException ex =
                assertThrows(CommandLine.TypeConversionException.class, () -> new SizeConverter().convert(bad), bad);
            assertTrue(ex.getMessage().endsWith("for example 64M"), ex.getMessage());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SizeConverter.parse("-1")).getMessage()
            .contains("cannot be negative"));
    }

    @Test
    void formatsForPeople()
    {
        assertEquals("512 B", SizeConverter.format(512));
        assertEquals("4 KiB", SizeConverter.format(4096));
        assertEquals("1.5 GiB", SizeConverter.format(3L << 29));
        assertEquals("64 MiB", SizeConverter.format(64L << 20));
    }

    @Property
    void parsesWhatASuffixMeans(@ForAll @LongRange(min = 0, max = 1 << 20) final long number,
        @ForAll @IntRange(min = 0, max = 4) final int unit)
    {
        final String suffix = "BKMGT".substring(unit, unit + 1);
        assertEquals(number << (10 * unit), SizeConverter.parse(number + suffix));
    }
}
