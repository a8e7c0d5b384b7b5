package io.presync.pool;

import java.util.Locale;

/** Human-readable sizes in powers of 1024, as the CLI accepts them. */
public final class Sizes
{
    private static final String[] SUFFIXES = {"B", "K", "M", "G", "T", "P"};

    private Sizes()
    {
    }

    /** "1.5G", "64M", "4096B": the largest suffix that gives at least 1, one decimal when not whole. */
    public static String format(final long bytes)
    {
        int i = 0;
        double value = bytes;
        while (i < SUFFIXES.length - 1 && Math.abs(value) >= 1024)
        {
            value /= 1024;
            i++;
        }
        return value == Math.rint(value) ? (long)value + SUFFIXES[i] : String.format(Locale.ROOT, "%.1f%s", value, SUFFIXES[i]);
    }

    /**
     * Parses "4096", "64K", "1.5G", "2T" (powers of 1024, suffix case-insensitive, optional "B"/"iB").
     *
     * @throws IllegalArgumentException naming the text when it is not a size.
     */
    public static long parse(final String text)
    {
        final String s = text.strip().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        if (s.isEmpty())
        {
            throw new IllegalArgumentException("'" + text + "' is not a size; use a number with an optional K, M, G or T suffix");
        }
        final char last = s.charAt(s.length() - 1);
        final int shift = switch (last)
        {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            case 'P' -> 50;
            default -> 0;
        };
        final String number = shift == 0 ? s : s.substring(0, s.length() - 1);
        try
        {
            final double value = Double.parseDouble(number);
            final double bytes = Math.scalb(value, shift);
            if (!(value >= 0) || bytes > Long.MAX_VALUE || number.contains("E") || number.contains("N"))
            {
                throw new NumberFormatException();
            }
            return (long)Math.ceil(bytes);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + text + "' is not a size; use a number with an optional K, M, G or T suffix");
        }
    }
}
