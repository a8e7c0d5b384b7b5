package io.presync.ffi;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;

/**
 * The one mapper from errno to a typed {@link IOException} (Linux x86_64 values). Every message
 * names the path, the call and the error text with its symbolic name, in the shape of
 * {@link java.nio.file.FileSystemException}: {@code "/dev/loop3: open: Device or resource busy (EBUSY)"}.
 *
 * <table>
 * <caption>errno to exception</caption>
 * <tr><td>ENOENT, ENXIO on open, ENODEV on open</td><td>{@link NoSuchFileException}</td></tr>
 * <tr><td>EACCES, EPERM, EROFS</td><td>{@link AccessDeniedException}</td></tr>
 * <tr><td>EEXIST</td><td>{@link FileAlreadyExistsException}</td></tr>
 * <tr><td>EBUSY</td><td>{@link DeviceBusyException}</td></tr>
 * <tr><td>ENOSPC, EDQUOT</td><td>{@link NoSpaceException}</td></tr>
 * <tr><td>EOPNOTSUPP, ENOTTY, ENOSYS, EINVAL from fallocate</td><td>{@link NotSupportedException}</td></tr>
 * <tr><td>anything else</td><td>{@link ErrnoException}</td></tr>
 * </table>
 */
public final class Errno
{
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EFBIG = 27;
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;
    public static final int EDQUOT = 122;

    private static final String[] NAMES = new String[134];

    static
    {
        name(EPERM, "EPERM");
        name(ENOENT, "ENOENT");
        name(3, "ESRCH");
        name(EINTR, "EINTR");
        name(EIO, "EIO");
        name(ENXIO, "ENXIO");
        name(7, "E2BIG");
        name(8, "ENOEXEC");
        name(EBADF, "EBADF");
        name(10, "ECHILD");
        name(EAGAIN, "EAGAIN");
        name(ENOMEM, "ENOMEM");
        name(EACCES, "EACCES");
        name(EFAULT, "EFAULT");
        name(15, "ENOTBLK");
        name(EBUSY, "EBUSY");
        name(EEXIST, "EEXIST");
        name(18, "EXDEV");
        name(ENODEV, "ENODEV");
        name(ENOTDIR, "ENOTDIR");
        name(EISDIR, "EISDIR");
        name(EINVAL, "EINVAL");
        name(23, "ENFILE");
        name(24, "EMFILE");
        name(ENOTTY, "ENOTTY");
        name(26, "ETXTBSY");
        name(EFBIG, "EFBIG");
        name(ENOSPC, "ENOSPC");
        name(ESPIPE, "ESPIPE");
        name(EROFS, "EROFS");
        name(31, "EMLINK");
        name(32, "EPIPE");
        name(34, "ERANGE");
        name(ENOSYS, "ENOSYS");
        name(61, "ENODATA");
        name(75, "EOVERFLOW");
        name(EOPNOTSUPP, "EOPNOTSUPP");
        name(110, "ETIMEDOUT");
        name(EDQUOT, "EDQUOT");
        name(125, "ECANCELED");
    }

    private Errno()
    {
    }

    private static void name(final int errno, final String name)
    {
        NAMES[errno] = name;
    }

    /** The symbolic name ({@code "EBUSY"}), or {@code "errno N"} for values not in the table. */
    public static String name(final int errno)
    {
        return errno > 0 && errno < NAMES.length && NAMES[errno] != null ? NAMES[errno] : "errno " + errno;
    }

    /** The C library's text for errno with its symbolic name: {@code "Device or resource busy (EBUSY)"}. */
    public static String describe(final int errno)
    {
        return Libc.strerror(errno) + " (" + name(errno) + ")";
    }

    /**
     * The typed exception for a failed call.
     *
     * @param call  the call as the user would recognise it, e.g. {@code "open"} or {@code "ioctl(BLKDISCARD)"}.
     * @param path  the file or device the call was about, or null when there is none.
     * @param errno the captured errno.
     */
    public static IOException exception(final String call, final String path, final int errno)
    {
        final String reason = call + ": " + describe(errno);
        final String message = path == null ? reason : path + ": " + reason;
        final boolean isOpen = call.startsWith("open");
        switch (errno)
        {
            case ENOENT:
                return new NoSuchFileException(path, null, reason);
            case ENXIO:
            case ENODEV:
                return isOpen ? new NoSuchFileException(path, null, reason) : new ErrnoException(message, errno);
            case EACCES:
            case EPERM:
            case EROFS:
                return new AccessDeniedException(path, null, reason);
            case EEXIST:
                return new FileAlreadyExistsException(path, null, reason);
            case EBUSY:
                return new DeviceBusyException(message, errno);
            case ENOSPC:
            case EDQUOT:
                return new NoSpaceException(message, errno);
            case EOPNOTSUPP:
            case ENOTTY:
            case ENOSYS:
                return new NotSupportedException(message, errno);
            case EINVAL:
                return call.startsWith("fallocate") ?
                    new NotSupportedException(message, errno) : new ErrnoException(message, errno);
            default:
                return new ErrnoException(message, errno);
        }
    }
}
