package io.presync.cli;

import io.presync.device.LoopDevices;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.presync.cli.DeviceCommandTest.presync;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CopyCommandTest
{
    private static final long MIB = 1 << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @BeforeEach
    void needsIoUring()
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, () -> "io_uring: " + Ring.unavailableReason());
    }

    @Test
    void copyMakesTheDestinationEqualToTheSource() throws Exception
    {
        final LoopDevices.Loop source = loops.create(40 * MIB);
        final LoopDevices.Loop destination = loops.create(40 * MIB);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + source.path(), "bs=1M", "count=8", "seek=3", "oflag=direct",
            "status=none");
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + destination.path(), "bs=1M", "count=40", "oflag=direct",
            "status=none");
        final Object[] result = presync("copy", "--from", source.path(), "--to", destination.path(),
            "--queue-depth", "8", "--chunk", "256K");
        assertEquals(0, result[0], (String)result[2]);
        assertTrue(((String)result[1]).startsWith("copied 40 MiB from " + source.path() + " to " + destination.path()),
            (String)result[1]);
        assertEquals("", result[2], "no progress output when stderr is not a terminal");
        LoopDevices.run("cmp", source.path(), destination.path());
    }

    @Test
    void refusalsExitWithTwoAndOneSentence() throws Exception
    {
        final LoopDevices.Loop source = loops.create(16 * MIB);
        final LoopDevices.Loop small = loops.create(8 * MIB);
        final LoopDevices.Loop other = loops.create(16 * MIB);
        final String from = source.path();

        assertRefused("presync: --from " + from + " and --to " + from + " are the same device; choose two different devices",
            "copy", "--from", from, "--to", from);
        assertRefused("presync: " + small.path() + " (8 MiB) is smaller than " + from +
            " (16 MiB); choose a destination of at least 16 MiB", "copy", "--from", from, "--to", small.path());
        assertRefused("presync: --queue-depth 0 is not valid; use 1 to 4096 (default 4)",
            "copy", "--from", from, "--to", other.path(), "--queue-depth", "0");
        assertRefused("presync: --chunk 1000 is not a multiple of the 512-byte sector size of the devices; " +
            "use for example 1M", "copy", "--from", from, "--to", other.path(), "--chunk", "1000");
        assertRefused("presync: /dev/no-such-device does not exist; check the device path",
            "copy", "--from", "/dev/no-such-device", "--to", other.path());

        final Object[] garbage = presync("copy", "--from", from, "--to", other.path(), "--chunk", "lots");
        assertEquals(Main.EXIT_USAGE, garbage[0]);
        assertTrue(((String)garbage[2]).contains("'lots' is not a size"), (String)garbage[2]);

        LoopDevices.run("mkfs.ext4", "-q", "-F", other.path());
        final Path mountPoint = Files.createDirectory(loops.folder().resolve("mnt"));
        LoopDevices.run("mount", other.path(), mountPoint.toString());
        try
        {
            assertRefused("presync: " + other.path() + " is mounted at " + mountPoint +
                "; unmount it or choose another device", "copy", "--from", from, "--to", other.path());
            // Reading a mounted device is allowed: it may be the source.
            final LoopDevices.Loop target = loops.create(16 * MIB);
            final Object[] fromMounted = presync("copy", "--from", other.path(), "--to", target.path());
            assertEquals(0, fromMounted[0], (String)fromMounted[2]);
        }
        finally
        {
            LoopDevices.run("umount", mountPoint.toString());
        }
    }

    private static void assertRefused(final String message, final String... args)
    {
        final Object[] result = presync(args);
        assertEquals(Main.EXIT_USAGE, result[0], (String)result[2]);
        assertEquals(message + "\n", result[2]);
    }
}
