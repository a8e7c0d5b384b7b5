package io.presync.uring;

/**
 * Linux errno numbers (x86-64 and aarch64 share the generic table) to their symbolic names and
 * strerror texts, for the errors io_uring completions and setup return. Kept here rather than calling
 * strerror(3) so that turning a completion into an exception never needs another downcall.
 */
final class ErrnoNames
{
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int ENXIO = 6;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EFAULT = 14;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EMFILE = 24;
    static final int EFBIG = 27;
    static final int ENOSPC = 28;
    static final int ESPIPE = 29;
    static final int EROFS = 30;
    static final int ENOSYS = 38;
    static final int EOVERFLOW = 75;
    static final int EOPNOTSUPP = 95;
    static final int ETIME = 62;
    static final int ETIMEDOUT = 110;
    static final int ECANCELED = 125;

    private ErrnoNames()
    {
    }

    static String name(final int errno)
    {
        return switch (errno)
        {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EFAULT -> "EFAULT";
            case EBUSY -> "EBUSY";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case EISDIR -> "EISDIR";
            case EINVAL -> "EINVAL";
            case EMFILE -> "EMFILE";
            case EFBIG -> "EFBIG";
            case ENOSPC -> "ENOSPC";
            case ESPIPE -> "ESPIPE";
            case EROFS -> "EROFS";
            case ENOSYS -> "ENOSYS";
            case ETIME -> "ETIME";
            case EOVERFLOW -> "EOVERFLOW";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case ETIMEDOUT -> "ETIMEDOUT";
            case ECANCELED -> "ECANCELED";
            default -> "errno " + errno;
        };
    }

    static String description(final int errno)
    {
        return switch (errno)
        {
            case EPERM -> "Operation not permitted";
            case ENOENT -> "No such file or directory";
            case EINTR -> "Interrupted system call";
            case EIO -> "Input/output error";
            case ENXIO -> "No such device or address";
            case EBADF -> "Bad file descriptor";
            case EAGAIN -> "Resource temporarily unavailable";
            case ENOMEM -> "Cannot allocate memory";
            case EACCES -> "Permission denied";
            case EFAULT -> "Bad address";
            case EBUSY -> "Device or resource busy";
            case EEXIST -> "File exists";
            case ENODEV -> "No such device";
            case EISDIR -> "Is a directory";
            case EINVAL -> "Invalid argument";
            case EMFILE -> "Too many open files";
            case EFBIG -> "File too large";
            case ENOSPC -> "No space left on device";
            case ESPIPE -> "Illegal seek";
            case EROFS -> "Read-only file system";
            case ENOSYS -> "Function not implemented";
            case ETIME -> "Timer expired";
            case EOVERFLOW -> "Value too large for defined data type";
            case EOPNOTSUPP -> "Operation not supported";
            case ETIMEDOUT -> "Connection timed out";
            case ECANCELED -> "Operation canceled";
            default -> "unknown error";
        };
    }

    /** "EIO (Input/output error)". */
    static String describe(final int errno)
    {
        return name(errno) + " (" + description(errno) + ")";
    }
}
