package io.presync.ffi;

import java.io.IOException;

/**
 * A libc call failed with an errno that has no more specific type. The message names the call, the
 * path and the error ({@code "/dev/loop3: ioctl(BLKDISCARD): Input/output error (EIO)"}).
 */
public class ErrnoException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ErrnoException(final String message, final int errno)
    {
        super(message);
        this.errno = errno;
    }

    /** The raw errno value. */
    public int errno()
    {
        return errno;
    }
}
