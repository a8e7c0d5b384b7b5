package io.presync.replicate;

import java.nio.charset.StandardCharsets;

/**
 * The job state's text: {@code key=value} lines that {@link java.util.Properties#load(java.io.InputStream)}
 * reads back, escaped as {@link java.util.Properties#store(java.io.OutputStream, String)} escapes them (ISO
 * 8859-1, other characters as {@code \\uXXXX}). Not {@code Properties.store} itself: it writes the current
 * date as a comment, and formatting a date the first time loads time-zone data, about 35 ms of the job's
 * set-up right before its first read (the job writes its state once before the copy starts).
 */
final class JobStateText
{
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final StringBuilder text = new StringBuilder(512);

    JobStateText(final String comment)
    {
        text.append('#');
        append(comment, false, true);
        text.append('\n');
    }

    /** Adds one {@code key=value} line. */
    JobStateText put(final String key, final String value)
    {
        append(key, true, false);
        text.append('=');
        append(value, false, false);
        text.append('\n');
        return this;
    }

    /** The text in ISO 8859-1, as {@code Properties.load(InputStream)} reads it. */
    byte[] toBytes()
    {
        return text.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString()
    {
        return text.toString();
    }

    private void append(final String s, final boolean key, final boolean comment)
    {
        for (int i = 0; i < s.length(); i++)
        {
            final char c = s.charAt(i);
            if (comment)
            {
                // A line break would end the comment: the rest would be read as a property.
                text.append(c == '\n' || c == '\r' ? ' ' : c < 0x20 || c > 0x7e ? '?' : c);
                continue;
            }
            switch (c)
            {
                case '\\' -> text.append("\\\\");
                case '\t' -> text.append("\\t");
                case '\n' -> text.append("\\n");
                case '\r' -> text.append("\\r");
                case '\f' -> text.append("\\f");
                case '=', ':', '#', '!' -> text.append('\\').append(c);
                case ' ' ->
                {
                    // Leading blanks are skipped by load, and in a key a blank ends it.
                    if (i == 0 || key)
                    {
                        text.append('\\');
                    }
                    text.append(' ');
                }
                default ->
                {
                    if (c < 0x20 || c > 0x7e)
                    {
                        text.append("\\u").append(HEX[(c >> 12) & 0xf]).append(HEX[(c >> 8) & 0xf])
                            .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
                    }
                    else
                    {
                        text.append(c);
                    }
                }
            }
        }
    }
}
