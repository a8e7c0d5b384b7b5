package io.presync.stream;

import io.presync.RefusedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which kernel device number, sector window and tracepoint the tap must watch for a block device
 * node. A partition's requests carry its whole disk's device number and absolute sectors, so a
 * partition is watched as a window of its disk.
 *
 * @param path            the device node as given
 * @param major           major number of the disk the events carry
 * @param minor           minor number of the disk the events carry
 * @param startSector     first 512-byte sector of the device on that disk (0 unless a partition)
 * @param sizeSectors     size of the device in 512-byte sectors
 * @param requestBased    true when the disk is blk-mq (events: block_rq_complete), false for
 *                        bio-based drivers such as device-mapper and md (block_bio_complete)
 */
record BlockDeviceId(Path path, int major, int minor, long startSector, long sizeSectors, boolean requestBased)
{
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    /** The kernel's dev_t as tracepoints print it: {@code major << 20 | minor}. */
    long kernelDev()
    {
        return ((long)major << 20) | minor;
    }

    long sizeBytes()
    {
        return sizeSectors * 512L;
    }

    static BlockDeviceId of(final Path device) throws IOException
    {
        if (!Files.exists(device))
        {
            throw new RefusedException(device + " does not exist; give the path of a block device such as /dev/loop0.");
        }
        final int mode = (Integer)Files.getAttribute(device, "unix:mode");
        if ((mode & S_IFMT) != S_IFBLK)
        {
            throw new RefusedException(device + " is not a block device; give the path of a block device such as /dev/loop0.");
        }
        final long rdev = (Long)Files.getAttribute(device, "unix:rdev");
        // glibc's gnu_dev_major/minor encoding of st_rdev.
        final int major = (int)(((rdev >>> 8) & 0xFFF) | ((rdev >>> 32) & ~0xFFFL));
        final int minor = (int)((rdev & 0xFF) | ((rdev >>> 12) & ~0xFFL));
        final Path sys = Path.of("/sys/dev/block", major + ":" + minor);
        if (!Files.isDirectory(sys))
        {
            throw new IOException("stat " + sys + " failed: the kernel has no block device " + major + ":" + minor);
        }
        final long sizeSectors = Long.parseLong(Files.readString(sys.resolve("size")).strip());
        if (Files.exists(sys.resolve("partition")))
        {
            final long start = Long.parseLong(Files.readString(sys.resolve("start")).strip());
            final Path disk = sys.toRealPath().getParent();
            final String[] dev = Files.readString(disk.resolve("dev")).strip().split(":");
            return new BlockDeviceId(device, Integer.parseInt(dev[0]), Integer.parseInt(dev[1]), start, sizeSectors,
                Files.isDirectory(disk.resolve("mq")));
        }
        return new BlockDeviceId(device, major, minor, 0, sizeSectors, Files.isDirectory(sys.resolve("mq")));
    }
}
