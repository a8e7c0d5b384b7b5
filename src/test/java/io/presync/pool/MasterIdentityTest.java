package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Master ids from the most stable key: filesystem UUID, else the loop backing file, else the path. */
class MasterIdentityTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void aFilesystemUuidIdentifiesTheMasterAcrossWritesAndLoopNumbers() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(32 << 20);
        LoopDevices.run("mkfs.ext4", "-q", "-F", "-U", "0b0c6a3e-6d2e-4c41-9f43-5a1d7c2e9b10", loop.path());
        assertEquals("uuid:0b0c6a3e-6d2e-4c41-9f43-5a1d7c2e9b10", MasterIdentity.stableKey(loop.device()));
        final MasterIdentity before = MasterIdentity.probe(loop.device(), 32 << 20);
        // Data written into the filesystem's blocks leaves its UUID, and so the id, as it was.
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + loop.path(), "bs=1M", "seek=16", "count=4", "oflag=direct", "status=none");
        assertEquals(before, MasterIdentity.probe(loop.device(), 32 << 20));
        // The same file on another loop device is the same master.
        loops.detach(loop);
        final LoopDevices.Loop again = loops.attach(loop.backingFile(), 512);
        assertEquals(before, MasterIdentity.probe(again.device(), 32 << 20));
        assertNotEquals(before, MasterIdentity.probe(again.device(), 64 << 20), "a resized master is another master");
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
}
