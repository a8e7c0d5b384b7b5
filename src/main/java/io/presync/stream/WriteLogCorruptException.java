package io.presync.stream;

import java.io.IOException;

/** A write-log batch failed its CRC32C (or had an impossible header) with valid data after it. */
public class WriteLogCorruptException extends IOException
{
    private static final long serialVersionUID = 1L;

    public WriteLogCorruptException(final String message)
    {
        super(message);
    }
}
