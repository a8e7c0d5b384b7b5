package io.presync.pool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Recognises what already lives on a device from its first {@link #HEAD_BYTES} bytes, so that
 * {@code pool create} refuses to overwrite it without {@code --force}. The names follow blkid's
 * TYPE values. Offsets (all from the kernel's or the tool's on-disk headers):
 *
 * <pre>
 *  presync      "PRESYNC1" at 0 or 4096 (our superblocks)
 *  crypto_LUKS  "LUKS\xBA\xBE" at 0
 *  gpt          "EFI PART" at 512 (512-byte sectors) or 4096 (4 KiB sectors)
 *  dos          0x55 0xAA at 510 and a partition entry (446 + 16 i) with a non-zero type,
 *               not only the 0xEE protective entry of a GPT
 *  ext2/3/4     0xEF53 (LE) at 1080 = superblock 1024 + s_magic 56; ext4 when INCOMPAT has
 *               extents/64bit/flex_bg, ext3 when COMPAT has a journal
 *  xfs          "XFSB" at 0
 *  btrfs        "_BHRfS_M" at 65600 = superblock 65536 + 64
 *  LVM2_member  "LABELONE" at the start of one of the first four 512-byte sectors
 *  swap         "SWAPSPACE2" or "SWAP-SPACE" at pagesize - 10, pagesize 4K, 8K, 16K or 64K
 * </pre>
 */
public final class Signatures
{
    /** Bytes to read from the start of a device: enough for the btrfs superblock magic. */
    public static final int HEAD_BYTES = 68 * 1024;

    /** One recognised signature: blkid-style name, a phrase for messages, and where it was found. */
    public record Found(String name, String description, long offsetBytes)
    {
    }

    private static final byte[] PRESYNC = "PRESYNC1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LUKS = {'L', 'U', 'K', 'S', (byte)0xBA, (byte)0xBE};
    private static final byte[] GPT = "EFI PART".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] XFS = "XFSB".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] BTRFS = "_BHRfS_M".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LVM = "LABELONE".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SWAP2 = "SWAPSPACE2".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SWAP1 = "SWAP-SPACE".getBytes(StandardCharsets.US_ASCII);
    private static final int[] SWAP_PAGE_SIZES = {4096, 8192, 16384, 65536};

    private Signatures()
    {
    }

    /** Signatures in the head of a device (shorter arrays are fine: what does not fit is not found). */
    public static List<Found> detect(final byte[] head)
    {
        final List<Found> found = new ArrayList<>(2);
        if (matches(head, 0, PRESYNC) || matches(head, 4096, PRESYNC))
        {
            found.add(new Found("presync", "a presync pool", matches(head, 0, PRESYNC) ? 0 : 4096));
        }
        if (matches(head, 0, LUKS))
        {
            found.add(new Found("crypto_LUKS", "a LUKS encrypted volume", 0));
        }
        final boolean gpt512 = matches(head, 512, GPT);
        if (gpt512 || matches(head, 4096, GPT))
        {
            found.add(new Found("gpt", "a GPT partition table", gpt512 ? 512 : 4096));
        }
        else if (hasDosPartitionTable(head))
        {
            found.add(new Found("dos", "a DOS (MBR) partition table", 510));
        }
        if (u16(head, 1080) == 0xEF53)
        {
            final String ext = extVariant(head);
            found.add(new Found(ext, "an " + ext + " filesystem", 1080));
        }
        if (matches(head, 0, XFS))
        {
            found.add(new Found("xfs", "an XFS filesystem", 0));
        }
        if (matches(head, 65600, BTRFS))
        {
            found.add(new Found("btrfs", "a btrfs filesystem", 65600));
        }
        for (int sector = 0; sector < 4; sector++)
        {
            if (matches(head, sector * 512, LVM))
            {
                found.add(new Found("LVM2_member", "an LVM2 physical volume", sector * 512L));
                break;
            }
        }
        for (final int pageSize : SWAP_PAGE_SIZES)
        {
            if (matches(head, pageSize - 10, SWAP2) || matches(head, pageSize - 10, SWAP1))
            {
                found.add(new Found("swap", "a swap area", pageSize - 10));
                break;
            }
        }
        return found;
    }

    /** Reads the head of {@code path} and detects signatures in it. */
    public static List<Found> detect(final Path path) throws IOException
    {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ))
        {
            final ByteBuffer buffer = ByteBuffer.allocate(HEAD_BYTES);
            long position = 0;
            while (buffer.hasRemaining())
            {
                final int n = channel.read(buffer, position);
                if (n <= 0)
                {
                    break;
                }
                position += n;
            }
            final byte[] head = new byte[buffer.position()];
            buffer.flip().get(head);
            return detect(head);
        }
    }

    private static boolean hasDosPartitionTable(final byte[] head)
    {
        if (head.length < 512 || (head[510] & 0xFF) != 0x55 || (head[511] & 0xFF) != 0xAA)
        {
            return false;
        }
        for (int i = 0; i < 4; i++)
        {
            final int entry = 446 + 16 * i;
            final int type = head[entry + 4] & 0xFF;
            final int status = head[entry] & 0xFF;
            // A real entry has a type, a boot flag of 0x00 or 0x80, and is not GPT's protective 0xEE.
            if (type != 0 && type != 0xEE && (status == 0 || status == 0x80))
            {
                return true;
            }
        }
        return false;
    }

    private static String extVariant(final byte[] head)
    {
        final ByteBuffer sb = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        final int compat = head.length >= 1024 + 0x68 ? sb.getInt(1024 + 0x5C) : 0;
        final int incompat = head.length >= 1024 + 0x68 ? sb.getInt(1024 + 0x60) : 0;
        // INCOMPAT_EXTENTS 0x40, INCOMPAT_64BIT 0x80, INCOMPAT_FLEX_BG 0x200; COMPAT_HAS_JOURNAL 0x4.
        if ((incompat & (0x40 | 0x80 | 0x200)) != 0)
        {
            return "ext4";
        }
        return (compat & 0x4) != 0 ? "ext3" : "ext2";
    }

    private static int u16(final byte[] head, final int offset)
    {
        return offset + 2 > head.length ? -1 : (head[offset] & 0xFF) | (head[offset + 1] & 0xFF) << 8;
    }

    private static boolean matches(final byte[] head, final int offset, final byte[] magic)
    {
        if (offset + magic.length > head.length)
        {
            return false;
        }
        for (int i = 0; i < magic.length; i++)
        {
            if (head[offset + i] != magic[i])
            {
                return false;
            }
        }
        return true;
    }
}
