package io.presync.pool;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The master volume a partition replicates: its size and a stable 128-bit id. The id is the first
 * 128 bits of SHA-256 over {@code "presync-master\0" + key + "\0" + sizeBytes}, where the key is the
 * most stable name there is for the master ({@link #stableKey}). Keys that a later {@code mkfs} of
 * the master leaves as they are come first, so a blank master that is formatted after its partition
 * was allocated keeps its identity: the device's own id from sysfs (WWID or serial, as udev's
 * {@code /dev/disk/by-id} names use; a device-mapper UUID; a partition as its disk's id plus its
 * number), else, for a loop device, the device and inode number of its backing file, else the
 * partition-table entry's UUID ({@code blkid -p}), and only then the UUID of the filesystem (or of
 * the partition table) on it, which writes to the filesystem do not change but a new filesystem does;
 * last the canonical device path. Including the size means a master that was resized is not taken for
 * the partition it used to replicate. The id is computed once, when the partition is allocated, and
 * stored in its entry; a resume checks it with {@link #matches}, which accepts the id of any of the
 * master's keys ({@link #stableKeys}): pools written when the filesystem UUID came first still match.
 */
public record MasterIdentity(long idHigh, long idLow, long sizeBytes)
{
    /** Identity derived from a stable key (UUID or canonical path) and the master's size. */
    public static MasterIdentity of(final String key, final long sizeBytes)
    {
        try
        {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            final byte[] digest = sha.digest(("presync-master\0" + key + "\0" + sizeBytes).getBytes(StandardCharsets.UTF_8));
            long high = 0;
            long low = 0;
            for (int i = 0; i < 8; i++)
            {
                high = (high << 8) | (digest[i] & 0xFF);
                low = (low << 8) | (digest[8 + i] & 0xFF);
            }
            return new MasterIdentity(high, low, sizeBytes);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is missing from this JDK", ex);
        }
    }

    /** The identity of the block device {@code device} of {@code sizeBytes}, from its {@link #stableKey}. */
    public static MasterIdentity probe(final Path device, final long sizeBytes) throws IOException
    {
        return of(stableKey(device), sizeBytes);
    }

    /**
     * Whether {@code stored} (an identity kept in a partition entry) names the block device {@code device}
     * of {@code sizeBytes}: the id of any of its {@link #stableKeys} counts, so an entry written under an
     * earlier key order, or before the device had a filesystem, still matches.
     */
    public static boolean matches(final Path device, final long sizeBytes, final MasterIdentity stored) throws IOException
    {
        if (stored.sizeBytes() != sizeBytes)
        {
            return false;
        }
        for (final String key : stableKeys(device))
        {
            if (of(key, sizeBytes).equals(stored))
            {
                return true;
            }
        }
        return false;
    }

    /** The first (most stable) of {@link #stableKeys}. */
    public static String stableKey(final Path device) throws IOException
    {
        final Path real = device.toRealPath();
        final String name = real.getFileName().toString();
        final String own = deviceKey(name);
        if (own != null)
        {
            return own;
        }
        final String[] probed = blkid(real);
        if (probed[0] != null)
        {
            return probed[0];
        }
        return probed[1] != null ? probed[1] : "path:" + real;
    }

    /**
     * Every key of a block device, most stable first: {@code wwid:W} / {@code serial:S} /
     * {@code dm-uuid:U} (sysfs; {@code ...:partN} for partition N of such a disk), {@code loop-file:DEV:INODE}
     * (a loop device's backing file; {@code ...:partN} likewise), {@code partuuid:U} (the partition-table
     * entry), {@code uuid:U} (filesystem) or {@code ptuuid:U} (partition table), {@code path:CANONICAL}.
     * Only the keys the device has are listed; the path always is.
     */
    public static java.util.List<String> stableKeys(final Path device) throws IOException
    {
        final Path real = device.toRealPath();
        final java.util.List<String> keys = new java.util.ArrayList<>();
        final String own = deviceKey(real.getFileName().toString());
        if (own != null)
        {
            keys.add(own);
        }
        final String[] probed = blkid(real);
        for (final String key : probed)
        {
            if (key != null)
            {
                keys.add(key);
            }
        }
        keys.add("path:" + real);
        return keys;
    }

    /**
     * The key sysfs gives the device {@code name} itself, which no write to the device changes: its
     * hardware id, device-mapper UUID or loop backing file (for a partition: its disk's, plus the
     * partition number); null when it has none (then only what is on the device, or its path, is left).
     */
    private static String deviceKey(final String name) throws IOException
    {
        final Path sys = Path.of("/sys/class/block", name);
        final Path partition = sys.resolve("partition");
        if (Files.isReadable(partition))
        {
            // A partition: the disk it is on (the parent folder in sysfs) and its number.
            final Path disk = sys.toRealPath().getParent();
            final String diskKey = disk == null ? null : deviceKey(disk.getFileName().toString());
            return diskKey == null ? null : diskKey + ":part" + Files.readString(partition).strip();
        }
        for (final String[] source : new String[][] {{"wwid", "wwid"}, {"device/wwid", "wwid"}, {"serial", "serial"},
            {"device/serial", "serial"}, {"dm/uuid", "dm-uuid"}})
        {
            final String value = readSysfs(sys.resolve(source[0]));
            if (value != null)
            {
                return source[1] + ":" + value;
            }
        }
        final String backing = readSysfs(sys.resolve("loop").resolve("backing_file"));
        if (name.startsWith("loop") && backing != null)
        {
            final Path file = Path.of(backing);
            if (Files.exists(file))
            {
                return "loop-file:" + Files.getAttribute(file, "unix:dev") + ":" + Files.getAttribute(file, "unix:ino");
            }
        }
        return null;
    }

    /** The stripped content of a sysfs attribute, or null when it is absent, unreadable or empty. */
    private static String readSysfs(final Path attribute)
    {
        try
        {
            if (!Files.isReadable(attribute))
            {
                return null;
            }
            final String value = Files.readString(attribute).strip();
            return value.isEmpty() ? null : value;
        }
        catch (final IOException ex)
        {
            return null;
        }
    }

    /**
     * From a low-level probe of the device: {@code {partuuid:U or null, uuid:U or ptuuid:U or null}}
     * (both null: nothing found, or no blkid here).
     */
    private static String[] blkid(final Path device) throws IOException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder("blkid", "-p", "-o", "export", device.toString()).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            return new String[2]; // no blkid here: fall back to the other keys
        }
        final String output;
        try (InputStream in = process.getInputStream())
        {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return new String[2];
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running blkid -p " + device, ex);
        }
        if (process.exitValue() != 0)
        {
            return new String[2]; // 2: nothing found on the device
        }
        String uuid = null;
        String ptuuid = null;
        String partuuid = null;
        for (final String line : output.split("\n"))
        {
            if (line.startsWith("UUID="))
            {
                uuid = line.substring(5).strip();
            }
            else if (line.startsWith("PART_ENTRY_UUID="))
            {
                partuuid = line.substring(16).strip();
            }
            else if (line.startsWith("PTUUID="))
            {
                ptuuid = line.substring(7).strip();
            }
        }
        final String contents = uuid != null && !uuid.isEmpty() ? "uuid:" + uuid :
            ptuuid != null && !ptuuid.isEmpty() ? "ptuuid:" + ptuuid : null;
        return new String[] {partuuid != null && !partuuid.isEmpty() ? "partuuid:" + partuuid : null, contents};
    }

    /** The id as 32 hex digits. */
    public String idHex()
    {
        return HexFormat.of().toHexDigits(idHigh) + HexFormat.of().toHexDigits(idLow);
    }
}
