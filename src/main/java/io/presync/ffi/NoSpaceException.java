package io.presync.ffi;

/** ENOSPC (or EDQUOT): the file system or device has no room for the request. */
public final class NoSpaceException extends ErrnoException
{
    private static final long serialVersionUID = 1L;

    public NoSpaceException(final String message, final int errno)
    {
        super(message, errno);
    }
}
