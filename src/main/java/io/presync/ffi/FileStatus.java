package io.presync.ffi;

/**
 * The fields of {@code struct stat} that Presync uses, copied out of the native struct.
 *
 * @param mode           {@code st_mode}: file type and permission bits.
 * @param rdev           {@code st_rdev}: the device number of a block or character device (glibc encoding).
 * @param sizeBytes      {@code st_size}: the length of a regular file (0 for block devices).
 * @param blocks512      {@code st_blocks}: allocated 512-byte blocks.
 * @param blockSizeBytes {@code st_blksize}: the preferred I/O size.
 */
public record FileStatus(int mode, long rdev, long sizeBytes, long blocks512, int blockSizeBytes)
{
    public static final int S_IFMT = 0170000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;

    public boolean isBlockDevice()
    {
        return (mode & S_IFMT) == S_IFBLK;
    }

    public boolean isRegularFile()
    {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean isDirectory()
    {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /** Major number of {@link #rdev()}, decoded as glibc's {@code gnu_dev_major}. */
    public int major()
    {
        return (int)(((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & ~0xfffL));
    }

    /** Minor number of {@link #rdev()}, decoded as glibc's {@code gnu_dev_minor}. */
    public int minor()
    {
        return (int)((rdev & 0xffL) | ((rdev >>> 12) & ~0xffL));
    }

    /** Bytes actually allocated on disk ({@code st_blocks * 512}). */
    public long allocatedBytes()
    {
        return blocks512 * 512L;
    }
}
