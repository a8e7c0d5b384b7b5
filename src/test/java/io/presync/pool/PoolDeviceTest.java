package io.presync.pool;

import io.presync.cli.Main;
import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool on real loop devices, driven through the command line where a user would. */
class PoolDeviceTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    record Run(int code, String out, String err)
    {
    }

    private static Run presync(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void createListAllocateExtendTrimDeleteThroughTheCommandLine() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final String dev = loop.path();
        final Run create = presync("pool", "create", dev);
        assertEquals(0, create.code(), create.err());
        assertTrue(create.out().contains("63 MiB usable in 63 units of 1 MiB"), create.out());
        assertEquals(List.of("presync"), Signatures.detect(loop.device()).stream().map(Signatures.Found::name).toList());

        final long before = loop.allocatedBytes();
        final Run allocate = presync("pool", "allocate", "--pool", dev, "--name", "vm1", "--size", "16M", "--logical-size", "1G");
        assertEquals(0, allocate.code(), allocate.err());
        assertTrue(allocate.out().contains("allocated vm1: 17 MiB reserved"), allocate.out());
        final long reserved = loop.allocatedBytes() - before;
        assertTrue(reserved >= 17 << 20 && reserved <= (17 << 20) + (256 << 10),
            "the backing file must grow by the reserved 17 MiB, grew by " + reserved);

        // --partition, as the replication commands spell it, names the partition too.
        final Run extend = presync("pool", "extend", "--pool", dev, "--partition", "vm1", "--size", "4M");
        assertEquals(0, extend.code(), extend.err());
        assertTrue(extend.out().contains("22 MiB reserved") && extend.out().contains("1 extension"), extend.out());

        final Run clash = presync("pool", "allocate", "--pool", dev, "--name", "vm1", "--size", "1M");
        assertEquals(Main.EXIT_USAGE, clash.code());
        assertTrue(clash.err().contains("already has a partition named 'vm1'"), clash.err());
        final Run tooBig = presync("pool", "allocate", "--pool", dev, "--name", "vm2", "--size", "1G");
        assertEquals(Main.EXIT_USAGE, tooBig.code());
        assertTrue(tooBig.err().contains("has 41 MiB free but 'vm2' needs 1 GiB"), tooBig.err());

        final Run list = presync("pool", "list", "--pool", dev);
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("41 MiB free"), list.out());
        assertTrue(list.out().matches("(?s).*vm1\\s+1 GiB\\s+22 MiB\\s+0 B\\s+-\\s+1\\s+ALLOCATED\\s+2.*"), list.out());
        final Run json = presync("pool", "list", "--pool", dev, "--json");
        assertEquals(0, json.code(), json.err());
        assertTrue(json.out().contains("\"name\":\"vm1\",") && json.out().contains("\"reservedBytes\":" + (22 << 20)) &&
            json.out().contains("\"extensions\":1") && json.out().contains("\"segments\":[[1,17],[18,5]]"), json.out());

        final long beforeTrim = loop.allocatedBytes();
        final Run trim = presync("pool", "trim", "--pool", dev, "--partition", "vm1");
        assertEquals(0, trim.code(), trim.err());
        assertTrue(trim.out().contains("21 MiB given back"), trim.out());
        assertTrue(beforeTrim - loop.allocatedBytes() >= (21 << 20) - (64 << 10), "trim discards the space");

        presync("pool", "extend", "--pool", dev, "--name", "vm1", "--size", "2M");
        final Run delete = presync("pool", "delete", "--pool", dev, "--name", "vm1");
        assertEquals(0, delete.code(), delete.err());
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            assertEquals(List.of(), pool.partitions());
            assertEquals(63L << 20, pool.info().freeBytes());
        }
        final Run missing = presync("pool", "delete", "--pool", dev, "--name", "vm1");
        assertEquals(Main.EXIT_USAGE, missing.code());
        assertTrue(missing.err().contains("has no partition named 'vm1'"), missing.err());
    }

    @Test
    void createRefusesSignaturesWithoutForceAndNamesThem() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        LoopDevices.run("mkfs.ext4", "-q", "-F", loop.path());
        final Run refused = presync("pool", "create", loop.path());
        assertEquals(Main.EXIT_USAGE, refused.code());
        assertEquals("presync: " + loop.path() + " holds an ext4 filesystem; pass --force to overwrite it", refused.err().strip());

        final Run forced = presync("pool", "create", loop.path(), "--force", "--unit", "256K");
        assertEquals(0, forced.code(), forced.err());
        assertEquals(List.of("presync"), Signatures.detect(loop.device()).stream().map(Signatures.Found::name).toList(),
            "create wipes the old signature");

        final Run again = presync("pool", "create", loop.path());
        assertEquals(Main.EXIT_USAGE, again.code());
        assertTrue(again.err().contains("holds a presync pool; pass --force"), again.err());
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            assertEquals(256 << 10, pool.info().unitBytes());
        }
    }

    @Test
    void createRefusesAMountedDeviceEvenWithForce() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        LoopDevices.run("mkfs.ext4", "-q", "-F", loop.path());
        final Path mountPoint = Files.createDirectory(loops.folder().resolve("mnt"));
        LoopDevices.run("mount", loop.path(), mountPoint.toString());
        try
        {
            final Run refused = presync("pool", "create", loop.path(), "--force");
            assertEquals(Main.EXIT_USAGE, refused.code());
            assertEquals("presync: " + loop.path() + " is mounted at " + mountPoint + "; unmount it or choose another device", refused.err().strip());
        }
        finally
        {
            LoopDevices.run("umount", mountPoint.toString());
        }
    }

    @Test
    void openRefusesADeviceWithoutPoolAndCreateRefusesATinyOne() throws Exception
    {
        final LoopDevices.Loop blank = loops.create(8 << 20);
        final Run list = presync("pool", "list", "--pool", blank.path());
        assertEquals(Main.EXIT_USAGE, list.code());
        assertTrue(list.err().contains(blank.path() + " holds no presync pool; create one with"), list.err());

        final LoopDevices.Loop tiny = loops.create(1 << 20);
        final Run create = presync("pool", "create", tiny.path());
        assertEquals(Main.EXIT_USAGE, create.code());
        assertTrue(create.err().contains("has 1 MiB, too small for a pool of 1 MiB units, which needs at least 2 MiB"), create.err());
        final Run badUnit = presync("pool", "create", blank.path(), "--unit", "3M");
        assertEquals(Main.EXIT_USAGE, badUnit.code());
        assertTrue(badUnit.err().contains("power of two from 64K to 1G"), badUnit.err());
    }
}
