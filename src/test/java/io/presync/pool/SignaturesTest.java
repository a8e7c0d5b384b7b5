package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SignaturesTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    private static byte[] head()
    {
        return new byte[Signatures.HEAD_BYTES];
    }

    private static byte[] with(final byte[] head, final int offset, final String ascii)
    {
        final byte[] bytes = ascii.getBytes(StandardCharsets.ISO_8859_1);
        System.arraycopy(bytes, 0, head, offset, bytes.length);
        return head;
    }

    private static List<String> names(final byte[] head)
    {
        return Signatures.detect(head).stream().map(Signatures.Found::name).toList();
    }

    @Test
    void emptyDeviceHasNoSignature()
    {
        assertEquals(List.of(), names(head()));
        assertEquals(List.of(), names(new byte[0]), "a tiny device is simply not matched");
    }

    @Test
    void recognisesEachMagicAtItsOffset()
    {
        assertEquals(List.of("presync"), names(with(head(), 0, "PRESYNC1")));
        assertEquals(List.of("presync"), names(with(head(), 4096, "PRESYNC1")));
        assertEquals(List.of("crypto_LUKS"), names(with(head(), 0, "LUKS\u00BA\u00BE")));
        assertEquals(List.of("gpt"), names(with(head(), 512, "EFI PART")));
        assertEquals(List.of("gpt"), names(with(head(), 4096, "EFI PART")));
        assertEquals(List.of("xfs"), names(with(head(), 0, "XFSB")));
        assertEquals(List.of("btrfs"), names(with(head(), 65600, "_BHRfS_M")));
        assertEquals(List.of("LVM2_member"), names(with(head(), 512, "LABELONE")));
        assertEquals(List.of("LVM2_member"), names(with(head(), 1536, "LABELONE")));
        assertEquals(List.of(), names(with(head(), 2048, "LABELONE")), "LVM labels live in the first four sectors only");
        assertEquals(List.of("swap"), names(with(head(), 4086, "SWAPSPACE2")));
        assertEquals(List.of("swap"), names(with(head(), 65526, "SWAP-SPACE")));
        assertEquals(List.of(), names(with(head(), 4000, "SWAPSPACE2")));
    }

    @Test
    void ext2Ext3Ext4AreToldApart()
    {
        final byte[] ext2 = head();
        ext2[1080] = 0x53;
        ext2[1081] = (byte)0xEF;
        assertEquals(List.of("ext2"), names(ext2));
        final byte[] ext3 = ext2.clone();
        ext3[1024 + 0x5C] = 0x04;
        assertEquals(List.of("ext3"), names(ext3));
        final byte[] ext4 = ext3.clone();
        ext4[1024 + 0x60] = 0x40;
        assertEquals(List.of("ext4"), names(ext4));
        assertEquals("an ext4 filesystem", Signatures.detect(ext4).get(0).description());
    }

    @Test
    void dosTableNeedsARealPartitionEntry()
    {
        final byte[] mbr = head();
        mbr[510] = 0x55;
        mbr[511] = (byte)0xAA;
        assertEquals(List.of(), names(mbr), "a boot signature without entries is no partition table");
        mbr[446 + 16 + 4] = (byte)0x83;
        assertEquals(List.of("dos"), names(mbr));
        final byte[] protective = head();
        protective[510] = 0x55;
        protective[511] = (byte)0xAA;
        protective[446 + 4] = (byte)0xEE;
        with(protective, 512, "EFI PART");
        assertEquals(List.of("gpt"), names(protective), "GPT's protective MBR is reported as the GPT only");
    }

    @Test
    void detectsRealExt4AndSwapOnLoopDevices() throws Exception
    {
        final LoopDevices.Loop ext4 = loops.create(32 << 20);
        run("mkfs.ext4", "-q", "-F", ext4.path());
        assertEquals(List.of("ext4"), Signatures.detect(ext4.device()).stream().map(Signatures.Found::name).toList());

        final LoopDevices.Loop swap = loops.create(16 << 20);
        run("mkswap", swap.path());
        assertEquals(List.of("swap"), Signatures.detect(swap.device()).stream().map(Signatures.Found::name).toList());
    }

    @Test
    void detectsPartitionTablesAndLuksOnLoopDevices() throws Exception
    {
        final LoopDevices.Loop gpt = loops.create(16 << 20);
        if (Files.exists(Path.of("/usr/sbin/sgdisk")) || Files.exists(Path.of("/sbin/sgdisk")))
        {
            run("sgdisk", "-n", "1:0:0", gpt.path());
        }
        else
        {
            writeAt(gpt.device(), 512, "EFI PART");
        }
        assertTrue(Signatures.detect(gpt.device()).stream().anyMatch(f -> f.name().equals("gpt")));

        final LoopDevices.Loop luks = loops.create(32 << 20);
        if (Files.exists(Path.of("/usr/sbin/cryptsetup")) || Files.exists(Path.of("/sbin/cryptsetup")))
        {
            final Process p = new ProcessBuilder("cryptsetup", "luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2",
                "--pbkdf-force-iterations", "1000", luks.path(), "-").start();
            p.getOutputStream().write("secret".getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            assertEquals(0, p.waitFor());
        }
        else
        {
            writeAt(luks.device(), 0, "LUKS\u00BA\u00BE");
        }
        assertEquals(List.of("crypto_LUKS"), Signatures.detect(luks.device()).stream().map(Signatures.Found::name).toList());
    }

    static void run(final String... command) throws Exception
    {
        LoopDevices.run(command);
    }

    static void writeAt(final Path device, final long offset, final String ascii) throws Exception
    {
        try (RandomAccessFile raf = new RandomAccessFile(device.toFile(), "rw"))
        {
            raf.seek(offset);
            raf.write(ascii.getBytes(StandardCharsets.ISO_8859_1));
            raf.getFD().sync();
        }
    }
}
