package io.presync.pool;

import io.presync.RefusedException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the kernel says about a device through sysfs and procfs: its size and sector size, and
 * whether anything uses it (a mount of it or of one of its partitions, swap, a device-mapper or md
 * holder). Read-only; used before the pool writes anything.
 */
final class DeviceFacts
{
    private static final Path SYS_DEV_BLOCK = Path.of("/sys/dev/block");

    private DeviceFacts()
    {
    }

    static boolean isBlockDevice(final Path path)
    {
        try
        {
            return Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path) &&
                Files.readAttributes(path, "unix:mode").get("mode") instanceof Integer mode && (mode & 0170000) == 0060000;
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return false;
        }
    }

    /** "major:minor" of a block device, as sysfs and mountinfo write it. */
    static String majorMinor(final Path path) throws IOException
    {
        final long rdev = (Long)Files.getAttribute(path, "unix:rdev");
        final long major = ((rdev >>> 8) & 0xFFF) | ((rdev >>> 32) & ~0xFFFL);
        final long minor = (rdev & 0xFF) | ((rdev >>> 12) & ~0xFFL);
        return major + ":" + minor;
    }

    static long blockDeviceSizeBytes(final Path path) throws IOException
    {
        final Path sys = SYS_DEV_BLOCK.resolve(majorMinor(path));
        return Long.parseLong(Files.readString(sys.resolve("size")).strip()) * 512L;
    }

    /** Logical sector size from sysfs for a block device, 512 for a regular file. */
    static int logicalSectorBytes(final Path path) throws IOException
    {
        if (!isBlockDevice(path))
        {
            return 512;
        }
        final Path sys = SYS_DEV_BLOCK.resolve(majorMinor(path)).resolve("queue/logical_block_size");
        try
        {
            return Integer.parseInt(Files.readString(sys).strip());
        }
        catch (final NoSuchFileException ex)
        {
            // Partitions have no queue folder of their own; the whole disk's applies.
            final Path parent = SYS_DEV_BLOCK.resolve(majorMinor(path)).toRealPath().getParent().resolve("queue/logical_block_size");
            return Integer.parseInt(Files.readString(parent).strip());
        }
    }

    /**
     * Refuses a device that is mounted (itself or a partition of it), used as swap, or held by
     * device mapper or md. Regular files (tests, images) are only checked for being a mounted loop's
     * backing file by the loop's own check, so nothing here.
     */
    static void refuseIfInUse(final Path device) throws IOException
    {
        if (!isBlockDevice(device))
        {
            return;
        }
        final Path canonical = device.toRealPath();
        final List<String> numbers = new ArrayList<>();
        final List<String> names = new ArrayList<>();
        final String own = majorMinor(device);
        numbers.add(own);
        names.add(canonical.toString());
        final Path sys = SYS_DEV_BLOCK.resolve(own).toRealPath();
        try (Stream<Path> children = Files.list(sys))
        {
            for (final Path child : (Iterable<Path>)children::iterator)
            {
                if (Files.exists(child.resolve("partition")) && Files.exists(child.resolve("dev")))
                {
                    numbers.add(Files.readString(child.resolve("dev")).strip());
                    names.add("/dev/" + child.getFileName());
                }
            }
        }
        for (final String line : Files.readAllLines(Path.of("/proc/self/mountinfo")))
        {
            // id parent major:minor root mountpoint options ... - fstype source superoptions
            final String[] fields = line.split(" ");
            final int dash = line.indexOf(" - ");
            final String[] tail = dash < 0 ? new String[0] : line.substring(dash + 3).split(" ");
            final String source = tail.length > 1 ? tail[1] : "";
            for (int i = 0; i < numbers.size(); i++)
            {
                if (fields.length > 4 && (fields[2].equals(numbers.get(i)) || source.equals(names.get(i))))
                {
                    throw new RefusedException(device + " is mounted" + (i == 0 ? "" : " (partition " + names.get(i) + ")") +
                        " on " + unescape(fields[4]) + "; unmount it first");
                }
            }
        }
        for (final String line : Files.readAllLines(Path.of("/proc/swaps")))
        {
            final String swap = line.split("\\s+")[0];
            if (names.contains(swap))
            {
                throw new RefusedException(device + " is in use as swap (" + swap + "); run swapoff first");
            }
        }
        final Path holders = sys.resolve("holders");
        if (Files.isDirectory(holders))
        {
            try (Stream<Path> held = Files.list(holders))
            {
                final List<String> holderNames = held.map(p -> p.getFileName().toString()).toList();
                if (!holderNames.isEmpty())
                {
                    throw new RefusedException(device + " is held by " + String.join(", ", holderNames) +
                        " (device mapper or md); remove that mapping first");
                }
            }
        }
    }

    private static String unescape(final String mountPoint)
    {
        return mountPoint.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
