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
        return (value == whole ? Long.toString(whole) : decimal(value, 1)) + " " + UNITS[unit];
    }

    /**
     * {@code String.format(Locale.ROOT, "%.Nf", value)} for finite non-negative values below 1e7, without
     * Formatter or BigDecimal (whose class initialisation alone takes some 20 ms): like Formatter, it
     * rounds the shortest decimal form of the double (Double.toString) half up, here digit by digit.
     */
    public static String decimal(final double value, final int places)
    {
        final String shortest = Double.toString(value);
        final int point = shortest.indexOf('.');
        if (shortest.indexOf('E') >= 0 || point < 0)
        {
            return String.format(Locale.ROOT, "%." + places + "f", value); // below 1e-3 or from 1e7 on: never here
        }
        // The digits without the point, cut or padded to the wanted places.
        final StringBuilder digits = new StringBuilder(shortest.length() + places);
        digits.append(shortest, 0, point);
        final String fraction = shortest.substring(point + 1);
        for (int i = 0; i < places; i++)
        {
            digits.append(i < fraction.length() ? fraction.charAt(i) : '0');
        }
        if (fraction.length() > places && fraction.charAt(places) >= '5')
        {
            int i = digits.length() - 1;
            while (i >= 0 && digits.charAt(i) == '9')
            {
                digits.setCharAt(i--, '0');
            }
            if (i < 0)
            {
                digits.insert(0, '1');
            }
            else
            {
                digits.setCharAt(i, (char)(digits.charAt(i) + 1));
            }
        }
        if (places > 0)
        {
            digits.insert(digits.length() - places, '.');
        }
        return digits.toString();
    }
}
