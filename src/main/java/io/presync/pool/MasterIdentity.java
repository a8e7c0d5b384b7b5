package io.presync.pool;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The master volume a partition replicates: its size and a stable 128-bit id. The id is the first
 * 128 bits of SHA-256 over {@code "presync-master\0" + key + "\0" + sizeBytes}, where the key is the
 * most stable name the caller has for the master: the filesystem or partition UUID when it has one
 * (what {@code blkid} reports), otherwise the canonical device path (symlinks such as
 * {@code /dev/disk/by-id/...} resolved). Including the size means a master that was resized is not
 * taken for the partition it used to replicate.
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

    /** The id as 32 hex digits. */
    public String idHex()
    {
        return HexFormat.of().toHexDigits(idHigh) + HexFormat.of().toHexDigits(idLow);
    }
}
