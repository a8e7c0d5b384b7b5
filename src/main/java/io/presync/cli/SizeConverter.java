package io.presync.cli;

import picocli.CommandLine;

/**
 * Parses a byte size for picocli: a whole number with an optional suffix K, M, G or T (powers of
 * 1024, case-insensitive, optionally followed by {@code iB} or {@code B}): {@code 4096}, {@code 1M},
 * {@code 64KiB}, {@code 2g}. Negative numbers, fractions, unknown suffixes and values beyond a
 * {@code long} are rejected with a sentence that shows an example. Use it with
 * {@code @Option(names = "--chunk", converter = SizeConverter.class) long chunkBytes}.
 */
public final class SizeConverter implements CommandLine.ITypeConverter<Long>
{
    private static final String HINT =
        "use a whole number of bytes with an optional K, M, G or T suffix (powers of 1024), for example 64M";

    @Override
    public Long convert(final String value)
    {
        try
        {
            return parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.TypeConversionException(ex.getMessage());
        }
    }

    /** The size in bytes, or IllegalArgumentException with the reason and an example. */
    public static long parse(final String value)
    {
        if (value == null || value.isBlank())
        {
            throw new IllegalArgumentException("an empty size is not valid; " + HINT);
        }
        final String text = value.strip();
        int end = 0;
        while (end < text.length() && Character.isDigit(text.charAt(end)) && text.charAt(end) < 128)
        {
            end++;
        }
        if (end == 0)
        {
            throw new IllegalArgumentException("'" + value + "' is not a size" +
                (text.startsWith("-") ? " (sizes cannot be negative)" : "") + "; " + HINT);
        }
        String suffix = text.substring(end).toUpperCase(java.util.Locale.ROOT);
        if (suffix.endsWith("IB"))
        {
            suffix = suffix.substring(0, suffix.length() - 2);
        }
        else if (suffix.endsWith("B") && suffix.length() == 2)
        {
            suffix = suffix.substring(0, 1);
        }
        else if (suffix.equals("B"))
        {
            suffix = "";
        }
        final int shift;
        switch (suffix)
        {
            case "" -> shift = 0;
            case "K" -> shift = 10;
            case "M" -> shift = 20;
            case "G" -> shift = 30;
            case "T" -> shift = 40;
            default -> throw new IllegalArgumentException("'" + value + "' has an unknown unit; " + HINT);
        }
        final long number;
        try
        {
            number = Long.parseLong(text.substring(0, end));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + value + "' is too large; " + HINT);
        }
        if (number > (Long.MAX_VALUE >> shift))
        {
            throw new IllegalArgumentException("'" + value + "' is too large; " + HINT);
        }
        return number << shift;
    }

    /** A size for people: {@code 512 B}, {@code 4 KiB}, {@code 1.5 GiB} (one decimal when not whole). */
    public static String format(final long bytes)
    {
        return io.presync.ByteSizes.format(bytes);
    }
}
