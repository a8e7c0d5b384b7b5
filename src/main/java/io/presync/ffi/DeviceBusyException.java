package io.presync.ffi;

/** EBUSY: another process holds the device (for example opened with O_EXCL or mounted). */
public final class DeviceBusyException extends ErrnoException
{
    private static final long serialVersionUID = 1L;

    public DeviceBusyException(final String message, final int errno)
    {
        super(message, errno);
    }
}
