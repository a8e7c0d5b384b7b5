package io.presync.btree;

/**
 * A page read back from its medium failed its CRC32C (or did not carry its own page id): the bytes on
 * the device are not what the store wrote there.
 */
public final class CorruptPageException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final long pageId;
    private final long offsetBytes;

    public CorruptPageException(final String message, final long pageId, final long offsetBytes)
    {
        super(message);
        this.pageId = pageId;
        this.offsetBytes = offsetBytes;
    }

    /** The id of the page that failed. */
    public long pageId()
    {
        return pageId;
    }

    /** The page's byte offset on the file or device (region start included). */
    public long offsetBytes()
    {
        return offsetBytes;
    }
}
