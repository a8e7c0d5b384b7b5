package io.presync.device;

import io.presync.ffi.FileStatus;
import io.presync.ffi.Libc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds out whether a block device is in use by the kernel before we write to it: mounted (itself or
 * one of its partitions, from {@code /proc/self/mountinfo}), held by a device-mapper or md device
 * ({@code /sys/dev/block/MAJ:MIN/holders}), or used as swap. O_EXCL catches most of these too, but
 * only as a bare EBUSY; this says what holds the device. File systems that report a virtual device
 * number in mountinfo (btrfs) are still caught by O_EXCL.
 */
final class DeviceUsage
{
    static final Path SYS_DEV_BLOCK = Path.of("/sys/dev/block");
    static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private DeviceUsage()
    {
    }

    /** One sentence saying why the device must not be written, or null when it is free. */
    static String whyInUse(final String path, final int major, final int minor) throws IOException
    {
        return whyInUse(path, major, minor, SYS_DEV_BLOCK, MOUNTINFO);
    }

    /** As {@link #whyInUse(String, int, int)} over another sysfs and mountinfo (tests without device-mapper). */
    static String whyInUse(final String path, final int major, final int minor, final Path sysDevBlock,
        final Path mountinfoFile) throws IOException
    {
        final List<String[]> devices = new ArrayList<>(); // {name, "maj:min"}
        final String self = major + ":" + minor;
        devices.add(new String[] {null, self});
        devices.addAll(partitionsOf(sysDevBlock, self));

        final List<String> mountinfo = readLines(mountinfoFile);
        for (final String[] device : devices)
        {
            for (final String line : mountinfo)
            {
                final String[] fields = line.split(" ");
                if (fields.length > 4 && fields[2].equals(device[1]))
                {
                    final String where = unescape(fields[4]);
                    return device[0] == null ?
                        path + " is mounted at " + where + "; unmount it or choose another device" :
                        path + " has partition " + device[0] + " mounted at " + where +
                        "; unmount it or choose another device";
                }
            }
        }

        for (final String[] device : devices)
        {
            final List<String> holders = holdersOf(sysDevBlock, device[1]);
            if (!holders.isEmpty())
            {
                return (device[0] == null ? path : path + " (partition " + device[0] + ")") + " is in use by " +
                    String.join(", ", holders) + " (a device-mapper or md device is built on it); " +
                    "remove that device or choose another one";
            }
        }

        for (final String line : readLines(Path.of("/proc/swaps")))
        {
            final String swap = line.split("\\s+")[0];
            if (!swap.startsWith("/dev/"))
            {
                continue;
            }
            try
            {
                final FileStatus status = Libc.stat(swap);
                for (final String[] device : devices)
                {
                    if (status.isBlockDevice() && device[1].equals(status.major() + ":" + status.minor()))
                    {
                        return path + " is in use as swap; run swapoff on it or choose another device";
                    }
                }
            }
            catch (final IOException ignored)
            {
                // A swap device that vanished cannot be ours.
            }
        }
        return null;
    }

    /** {name, "maj:min"} of every partition of a whole-disk device (none for partitions themselves). */
    static List<String[]> partitionsOf(final Path sysDevBlock, final String majorMinor) throws IOException
    {
        final List<String[]> partitions = new ArrayList<>();
        final Path dir = sysDevBlock.resolve(majorMinor);
        if (!Files.isDirectory(dir))
        {
            return partitions;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir))
        {
            for (final Path child : children)
            {
                if (Files.exists(child.resolve("partition")) && Files.exists(child.resolve("dev")))
                {
                    partitions.add(new String[] {child.getFileName().toString(),
                        Files.readString(child.resolve("dev"), StandardCharsets.US_ASCII).strip()});
                }
            }
        }
        return partitions;
    }

    static List<String> holdersOf(final Path sysDevBlock, final String majorMinor) throws IOException
    {
        final List<String> holders = new ArrayList<>();
        final Path dir = sysDevBlock.resolve(majorMinor).resolve("holders");
        if (!Files.isDirectory(dir))
        {
            return holders;
        }
        try (DirectoryStream<Path> children = Files.newDirectoryStream(dir))
        {
            for (final Path child : children)
            {
                holders.add(child.getFileName().toString());
            }
        }
        return holders;
    }

    private static List<String> readLines(final Path file) throws IOException
    {
        return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }

    /** mountinfo escapes space, tab, newline and backslash as octal ({@code \040}). */
    static String unescape(final String field)
    {
        if (field.indexOf('\\') < 0)
        {
            return field;
        }
        final StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++)
        {
            final char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length())
            {
                try
                {
                    out.append((char)Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                }
                catch (final NumberFormatException ex)
                {
                    // not an escape: keep the backslash
                }
            }
            out.append(c);
        }
        return out.toString();
    }
}
