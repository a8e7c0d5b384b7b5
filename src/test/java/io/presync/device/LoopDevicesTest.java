package io.presync.device;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LoopDevicesTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void attachesSparseDeviceAndDetaches() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(8 << 20);
        assertTrue(Files.exists(loop.device()));
        assertEquals(Long.toString(8 << 20), LoopDevices.run("blockdev", "--getsize64", loop.path()).strip());
        assertEquals(0, loop.allocatedBytes(), "a new backing file is sparse");
        loops.detach(loop);
        assertFalse(LoopDevices.run("losetup", "-a").contains(loop.backingFile().toString()));
    }
}
