package io.presync.ffi;

/**
 * The device or file system does not support the operation: EOPNOTSUPP, ENOTTY (an ioctl on
 * something that is not a block device), or EINVAL from fallocate (a mode the file system lacks).
 * Callers catch this to take a fallback path.
 */
public final class NotSupportedException extends ErrnoException
{
    private static final long serialVersionUID = 1L;

    public NotSupportedException(final String message, final int errno)
    {
        super(message, errno);
    }
}
