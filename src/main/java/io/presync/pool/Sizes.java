package io.presync.pool;

import java.util.Locale;

/** Sizes for messages, in the command line's style: {@code 512 B}, {@code 4 KiB}, {@code 1.5 GiB}. */
final class Sizes
{
    private Sizes()
    {
    }

    static String format(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
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
}
