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
 * most stable name there is for the master ({@link #stableKey}): the UUID of its filesystem (or of its
 * partition table) as {@code blkid -p} reads it from the device, which writes to the filesystem do
 * not change; else, for a loop device, the device and inode number of its backing file; else the
 * canonical device path. Including the size means a master that was resized is not taken for the
 * partition it used to replicate. The id is computed once, when the partition is allocated, and
 * stored in its entry; a resume recomputes it and refuses a master whose id differs.
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
     * The most stable key for a block device: {@code uuid:U} (filesystem UUID) or {@code ptuuid:U}
     * (partition table UUID) from {@code blkid -p -o export}, else {@code loop-file:DEV:INODE} for a
     * loop device's backing file, else {@code path:CANONICAL}.
     */
    public static String stableKey(final Path device) throws IOException
    {
        final Path real = device.toRealPath();
        final String blkid = blkid(real);
        if (blkid != null)
        {
            return blkid;
        }
        final String name = real.getFileName().toString();
        final Path backing = Path.of("/sys/block", name, "loop", "backing_file");
        if (name.startsWith("loop") && Files.isReadable(backing))
        {
            final Path file = Path.of(Files.readString(backing).strip());
            if (Files.exists(file))
            {
                return "loop-file:" + Files.getAttribute(file, "unix:dev") + ":" + Files.getAttribute(file, "unix:ino");
            }
        }
        return "path:" + real;
    }

    /** {@code uuid:...} or {@code ptuuid:...} from a low-level probe of the device, or null (none, or no blkid). */
    private static String blkid(final Path device) throws IOException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder("blkid", "-p", "-o", "export", device.toString()).redirectErrorStream(true).start();
        }
        catch (final IOException ex)
        {
            return null; // no blkid here: fall back to the other keys
        }
        final String output;
        try (InputStream in = process.getInputStream())
        {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return null;
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running blkid -p " + device, ex);
        }
        if (process.exitValue() != 0)
        {
            return null; // 2: nothing found on the device
        }
        String uuid = null;
        String ptuuid = null;
        for (final String line : output.split("\n"))
        {
            if (line.startsWith("UUID="))
            {
                uuid = line.substring(5).strip();
            }
            else if (line.startsWith("PTUUID="))
            {
                ptuuid = line.substring(7).strip();
            }
        }
        if (uuid != null && !uuid.isEmpty())
        {
            return "uuid:" + uuid;
        }
        return ptuuid != null && !ptuuid.isEmpty() ? "ptuuid:" + ptuuid : null;
    }

    /** The id as 32 hex digits. */
    public String idHex()
    {
        return HexFormat.of().toHexDigits(idHigh) + HexFormat.of().toHexDigits(idLow);
    }
}
