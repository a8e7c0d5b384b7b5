package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Master ids from the most stable key: device id, loop backing file, partition entry, filesystem UUID, path. */
class MasterIdentityTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void aLoopMasterKeepsItsIdentityAcrossWritesAFilesystemAndLoopNumbers() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(32 << 20);
        final MasterIdentity blank = MasterIdentity.probe(loop.device(), 32 << 20);
        assertTrue(MasterIdentity.stableKey(loop.device()).startsWith("loop-file:"));
        // A blank master formatted after its partition was allocated is still the same master.
        LoopDevices.run("mkfs.ext4", "-q", "-F", "-U", "0b0c6a3e-6d2e-4c41-9f43-5a1d7c2e9b10", loop.path());
        assertEquals(blank, MasterIdentity.probe(loop.device(), 32 << 20));
        // The filesystem UUID is a later key: an id stored under it (older pools) still matches.
        assertTrue(MasterIdentity.stableKeys(loop.device()).contains("uuid:0b0c6a3e-6d2e-4c41-9f43-5a1d7c2e9b10"));
        assertTrue(MasterIdentity.matches(loop.device(), 32 << 20,
            MasterIdentity.of("uuid:0b0c6a3e-6d2e-4c41-9f43-5a1d7c2e9b10", 32 << 20)));
        assertTrue(MasterIdentity.matches(loop.device(), 32 << 20, blank));
        // Data written into the filesystem's blocks, and a second mkfs (a new UUID), leave the id as it was.
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + loop.path(), "bs=1M", "seek=16", "count=4", "oflag=direct", "status=none");
        LoopDevices.run("mkfs.ext4", "-q", "-F", loop.path());
        assertEquals(blank, MasterIdentity.probe(loop.device(), 32 << 20));
        // The same file on another loop device is the same master.
        loops.detach(loop);
        final LoopDevices.Loop again = loops.attach(loop.backingFile(), 512);
        assertEquals(blank, MasterIdentity.probe(again.device(), 32 << 20));
        assertNotEquals(blank, MasterIdentity.probe(again.device(), 64 << 20), "a resized master is another master");
        assertFalse(MasterIdentity.matches(again.device(), 64 << 20, blank));
        assertFalse(MasterIdentity.matches(again.device(), 32 << 20, MasterIdentity.of("uuid:another", 32 << 20)));
    }

    @Test
    void aPartitionOfALoopDiskIsItsDiskAndNumberAcrossAMkfs() throws Exception
    {
        final LoopDevices.Loop disk = loops.create(64 << 20);
        writeMbr(disk.device(), 2048, 34816);
        LoopDevices.run("partx", "-a", disk.path());
        try
        {
            final java.nio.file.Path part = java.nio.file.Path.of(disk.path() + "p2");
            org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(part), "no partition devices for " + disk.path());
            final String key = MasterIdentity.stableKey(part);
            assertTrue(key.startsWith("loop-file:") && key.endsWith(":part2"), key);
            final MasterIdentity before = MasterIdentity.probe(part, 16 << 20);
            LoopDevices.run("mkfs.ext4", "-q", "-F", part.toString());
            assertEquals(before, MasterIdentity.probe(part, 16 << 20));
            assertTrue(MasterIdentity.stableKeys(part).stream().anyMatch(k -> k.startsWith("partuuid:")), MasterIdentity.stableKeys(part)::toString);
        }
        finally
        {
            LoopDevices.run("partx", "-d", disk.path());
        }
    }

    @Test
    void aBlankLoopDeviceIsIdentifiedByItsBackingFile() throws Exception
    {
        final LoopDevices.Loop a = loops.create(8 << 20);
        final LoopDevices.Loop b = loops.create(8 << 20);
        final String key = MasterIdentity.stableKey(a.device());
        assertTrue(key.startsWith("loop-file:"), key);
        assertEquals(key, MasterIdentity.stableKey(a.device()));
        assertNotEquals(MasterIdentity.probe(a.device(), 8 << 20), MasterIdentity.probe(b.device(), 8 << 20));
    }

    /** An MBR with two 16 MiB Linux partitions starting at the given sectors (no sfdisk needed). */
    private static void writeMbr(final java.nio.file.Path device, final int... startSectors) throws Exception
    {
        final java.nio.ByteBuffer mbr = java.nio.ByteBuffer.allocate(512).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        mbr.putInt(440, 0x5eed1234);
        for (int i = 0; i < startSectors.length; i++)
        {
            final int entry = 446 + 16 * i;
            mbr.put(entry + 4, (byte)0x83);
            mbr.putInt(entry + 8, startSectors[i]);
            mbr.putInt(entry + 12, (16 << 20) / 512);
        }
        mbr.put(510, (byte)0x55).put(511, (byte)0xAA);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(device, java.nio.file.StandardOpenOption.WRITE))
        {
            channel.write(mbr, 0);
            channel.force(true);
        }
    }
}
