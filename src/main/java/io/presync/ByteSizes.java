package io.presync;

import java.util.Locale;

/** Sizes for people, in every message and report: {@code 512 B}, {@code 4 KiB}, {@code 1.5 GiB}. */
public final class ByteSizes
{
    private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteSizes()
    {
    }

    /** Powers of 1024, one decimal when not whole. */
    public static String format(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        int unit = -1;
        double value = bytes;
        while (value >= 1024 && unit < UNITS.length - 1)
        {
            value /= 1024;
            unit++;
        }
        final long whole = (long)value;
        return value == whole ? whole + " " + UNITS[unit] : String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
    }
}
