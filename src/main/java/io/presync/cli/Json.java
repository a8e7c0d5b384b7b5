package io.presync.cli;

/**
 * Hand-written JSON for the command line's {@code --json} outputs (no JSON library): string
 * escaping per RFC 8259 and a small builder of one flat object.
 */
public final class Json
{
    private final StringBuilder out = new StringBuilder("{");
    private boolean first = true;

    /** Appends {@code "key": "value"} (or {@code null}). */
    public Json field(final String key, final String value)
    {
        key(key);
        if (value == null)
        {
            out.append("null");
        }
        else
        {
            quote(out, value);
        }
        return this;
    }

    /** Appends {@code "key": number}. */
    public Json field(final String key, final long value)
    {
        key(key);
        out.append(value);
        return this;
    }

    /** Appends {@code "key": number} or {@code null} when {@code present} is false. */
    public Json field(final String key, final boolean present, final long value)
    {
        key(key);
        if (present)
        {
            out.append(value);
        }
        else
        {
            out.append("null");
        }
        return this;
    }

    private void key(final String key)
    {
        if (!first)
        {
            out.append(", ");
        }
        first = false;
        quote(out, key);
        out.append(": ");
    }

    @Override
    public String toString()
    {
        return out + "}";
    }

    /** Appends {@code value} as a JSON string literal, escaping quotes, backslashes and control characters. */
    public static void quote(final StringBuilder out, final String value)
    {
        out.append('"');
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default ->
                {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029)
                    {
                        out.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** {@code value} as a JSON string literal. */
    public static String quote(final String value)
    {
        final StringBuilder out = new StringBuilder(value.length() + 2);
        quote(out, value);
        return out.toString();
    }
}
