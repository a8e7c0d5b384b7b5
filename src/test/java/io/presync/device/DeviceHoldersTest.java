package io.presync.device;

import io.presync.RefusedException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The two refusals that need more than a loop device: writing a disk one of whose partitions is
 * mounted, and writing a device that device-mapper (or md) has built on ("holders" in sysfs).
 */
class DeviceHoldersTest
{
    private static final long MIB = 1 << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void refusesToWriteADiskWithAMountedPartitionButReadsIt() throws IOException
    {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/partx")) || Files.isExecutable(Path.of("/sbin/partx")),
            "partx (util-linux) is not installed");
        // A 64 MiB disk with one MBR partition (type 0x83) at sectors [2048, 2048 + 61440).
        final Path image = loops.folder().resolve("disk.img");
        final ByteBuffer mbr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        mbr.put(446 + 4, (byte)0x83).putInt(446 + 8, 2048).putInt(446 + 12, 61440).put(510, (byte)0x55).put(511, (byte)0xAA);
        try (FileChannel channel = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            channel.write(mbr, 0);
            channel.truncate(64 * MIB);
            channel.write(ByteBuffer.allocate(1), 64 * MIB - 1);
        }
        final LoopDevices.Loop disk = loops.attach(image, 512);
        LoopDevices.run("partx", "--add", disk.path());
        final String partitionName = disk.device().getFileName() + "p1";
        final Path partition = Path.of(disk.path() + "p1");
        final Path mountPoint = Files.createDirectory(loops.folder().resolve("mnt"));
        boolean mounted = false;
        try
        {
            LoopDevices.run("mkfs.ext4", "-q", "-F", partition.toString());
            LoopDevices.run("mount", partition.toString(), mountPoint.toString());
            mounted = true;

            final RefusedException refused = assertThrows(RefusedException.class,
                () -> BlockDevice.open(disk.device(), OpenOptions.forWriting()));
            assertEquals(disk.path() + " has partition " + partitionName + " mounted at " + mountPoint +
                "; unmount it or choose another device", refused.getMessage());
            // Without O_EXCL the mount table still says no.
            assertThrows(RefusedException.class,
                () -> BlockDevice.open(disk.device(), OpenOptions.forWriting().withExclusive(false)));
            // Reading the disk under a live file system is allowed (a master usually is one).
            try (BlockDevice device = BlockDevice.open(disk.device(), OpenOptions.forReading()))
            {
                assertEquals(64 * MIB, device.sizeBytes());
            }
        }
        finally
        {
            if (mounted)
            {
                LoopDevices.run("umount", mountPoint.toString());
            }
            LoopDevices.run("partx", "--delete", disk.path());
        }
        try (BlockDevice device = BlockDevice.open(disk.device(), OpenOptions.forWriting()))
        {
            assertEquals(64 * MIB, device.sizeBytes(), "writable once the partition is unmounted and removed");
        }
    }

    @Test
    void refusesToWriteADeviceThatDeviceMapperHolds() throws IOException
    {
        final String why = deviceMapperMissing();
        Assumptions.assumeTrue(why == null, () -> "no device-mapper to build a holder with: " + why);
        final LoopDevices.Loop loop = loops.create(16 * MIB);
        final String name = "presync-test-" + ProcessHandle.current().pid();
        LoopDevices.run("dmsetup", "create", name, "--table", "0 " + (16 * MIB / 512) + " linear " + loop.path() + " 0");
        try
        {
            final String holder = Path.of("/dev/mapper", name).toRealPath().getFileName().toString(); // dm-N
            final RefusedException refused = assertThrows(RefusedException.class,
                () -> BlockDevice.open(loop.device(), OpenOptions.forWriting().withExclusive(false)));
            assertEquals(loop.path() + " is in use by " + holder + " (a device-mapper or md device is built on it); " +
                "remove that device or choose another one", refused.getMessage());
            try (BlockDevice device = BlockDevice.open(loop.device(), OpenOptions.forReading()))
            {
                assertEquals(16 * MIB, device.sizeBytes(), "reading a held device is allowed");
            }
        }
        finally
        {
            LoopDevices.run("dmsetup", "remove", "--retry", name);
        }
    }

    /**
     * The holders rule without a kernel that has device-mapper: the same check over a sysfs tree made
     * in a folder, for a holder on the disk itself and on one of its partitions.
     */
    @Test
    void namesTheHolderFromSysfs() throws IOException
    {
        final Path sys = loops.folder().resolve("sys-dev-block");
        final Path mountinfo = Files.writeString(loops.folder().resolve("mountinfo"),
            "22 1 0:21 / /proc rw,nosuid - proc proc rw\n");
        Files.createDirectories(sys.resolve("7:9/holders/dm-4"));
        assertEquals("/dev/loop9 is in use by dm-4 (a device-mapper or md device is built on it); " +
                "remove that device or choose another one",
            DeviceUsage.whyInUse("/dev/loop9", 7, 9, sys, mountinfo));

        Files.createDirectories(sys.resolve("8:16/holders"));
        final Path partition = Files.createDirectories(sys.resolve("8:16/sdb1"));
        Files.writeString(partition.resolve("partition"), "1\n");
        Files.writeString(partition.resolve("dev"), "8:17\n");
        Files.createDirectories(sys.resolve("8:17/holders/md0"));
        assertEquals("/dev/sdb (partition sdb1) is in use by md0 (a device-mapper or md device is built on it); " +
                "remove that device or choose another one",
            DeviceUsage.whyInUse("/dev/sdb", 8, 16, sys, mountinfo));

        Files.createDirectories(sys.resolve("8:32/holders"));
        assertEquals(null, DeviceUsage.whyInUse("/dev/sdc", 8, 32, sys, mountinfo));
    }

    /** Null when dmsetup can build a device here, else why not. */
    private static String deviceMapperMissing() throws IOException
    {
        if (!Files.isExecutable(Path.of("/usr/sbin/dmsetup")) && !Files.isExecutable(Path.of("/sbin/dmsetup")))
        {
            return "dmsetup (package dmsetup) is not installed";
        }
        if (!Files.readString(Path.of("/proc/devices")).contains("device-mapper"))
        {
            // A module would show up here once loaded; this kernel has neither the driver built in
            // nor (on this machine) modprobe and /lib/modules to load it.
            return "the running kernel (Linux " + System.getProperty("os.version") + ") has no device-mapper " +
                "driver (not in /proc/devices; modprobe dm_mod is not possible here)";
        }
        return null;
    }
}
