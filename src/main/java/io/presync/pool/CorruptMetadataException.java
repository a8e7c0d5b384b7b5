package io.presync.pool;

import java.io.IOException;

/** A superblock or metadata page failed a check; the message says which check, for the open error. */
final class CorruptMetadataException extends IOException
{
    private static final long serialVersionUID = 1L;

    CorruptMetadataException(final String message)
    {
        super(message);
    }
}
