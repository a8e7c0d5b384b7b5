package io.presync.cli;

import picocli.CommandLine;

import java.util.Locale;

/**
 * Parses a duration for picocli into nanoseconds: a whole number with a suffix {@code ms}, {@code s},
 * {@code m}, {@code h} or {@code d} ({@code 30m}, {@code 10s}, {@code 2h}); a bare number is seconds.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Long>
{
    private static final String HINT = "use a whole number with a suffix s, m or h (also ms, d), for example 30m";

    @Override
    public Long convert(final String value)
    {
        try
        {
            return parseNanos(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.TypeConversionException(ex.getMessage());
        }
    }

    /** The duration in nanoseconds, or IllegalArgumentException with the reason and an example. */
    public static long parseNanos(final String value)
    {
        if (value == null || value.isBlank())
        {
            throw new IllegalArgumentException("an empty duration is not valid; " + HINT);
        }
        final String text = value.strip().toLowerCase(Locale.ROOT);
        int end = 0;
        while (end < text.length() && text.charAt(end) >= '0' && text.charAt(end) <= '9')
        {
            end++;
        }
        if (end == 0)
        {
            throw new IllegalArgumentException("'" + value + "' is not a duration; " + HINT);
        }
        final long unitNanos = switch (text.substring(end))
        {
            case "ms" -> 1_000_000L;
            case "", "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            case "d" -> 86_400_000_000_000L;
            default -> throw new IllegalArgumentException("'" + value + "' has an unknown unit; " + HINT);
        };
        final long number;
        try
        {
            number = Long.parseLong(text.substring(0, end));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + value + "' is too long; " + HINT);
        }
        if (number == 0)
        {
            throw new IllegalArgumentException("'" + value + "' is zero; " + HINT);
        }
        if (number > Long.MAX_VALUE / unitNanos)
        {
            throw new IllegalArgumentException("'" + value + "' is too long; " + HINT);
        }
        return number * unitNanos;
    }
}
