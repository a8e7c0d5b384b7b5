package io.presync.pool;

import io.presync.cli.Main;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Verify and repair on real loop devices: slave blocks corrupted underneath Presync (on the pool
 * device, at the offsets the partition's mapping gives) and master blocks changed behind its back are
 * reported exactly, coalesced per kind, then repaired until the export equals the master.
 */
class VerifyRepairTest
{
    private static final int BLOCK = 4096;
    private static final long LOGICAL = 16L << 20;
    private static final long BLOCKS = LOGICAL / BLOCK;
    /** Logical blocks left unmapped (never written: the master holds zeros there). */
    private static final long HOLE_FIRST = 1000;
    private static final long HOLE_END = 1100;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void reportsExactlyTheCorruptAndDifferingBlocksThenRepairsThem() throws Exception
    {
        run(512);
    }

    @Test
    void worksOn4KiBSectorDevices() throws Exception
    {
        run(4096);
    }

    private void run(final int sectorBytes) throws Exception
    {
        final LoopDevices.Loop master = loops.create(LOGICAL, sectorBytes);
        final LoopDevices.Loop poolLoop = loops.create(32L << 20, sectorBytes);
        final Random random = new Random(sectorBytes);
        final byte[] content = new byte[(int)LOGICAL];
        random.nextBytes(content);
        Arrays.fill(content, (int)(HOLE_FIRST * BLOCK), (int)(HOLE_END * BLOCK), (byte)0);
        writeDevice(master.device(), 0, content);

        // Fill the partition from the master (all but the hole), then note where the chosen blocks live.
        final long[] corrupt = {0, 1, 2, 50, 51, 700, 999, 1100, BLOCKS - 1};
        final long[] deviceOffsets = new long[corrupt.length];
        try (Pool pool = Pool.create(poolLoop.device(), Pool.CreateOptions.defaults()))
        {
            pool.allocate("vm", MasterIdentity.of(master.path(), LOGICAL), 18L << 20);
            try (Partition p = pool.openPartition("vm"); Arena arena = Arena.ofConfined())
            {
                final MemorySegment chunk = BlockDevice.allocateAligned(arena, 1 << 20, BLOCK);
                for (long offset = 0; offset < LOGICAL; offset += chunk.byteSize())
                {
                    final long start = offset;
                    final long end = offset + chunk.byteSize();
                    MemorySegment.copy(content, (int)offset, chunk, ValueLayout.JAVA_BYTE, 0, (int)chunk.byteSize());
                    // Skip the hole: write around it.
                    final long holeStart = HOLE_FIRST * BLOCK;
                    final long holeEnd = HOLE_END * BLOCK;
                    if (end <= holeStart || start >= holeEnd)
                    {
                        p.write(start, chunk);
                    }
                    else
                    {
                        if (start < holeStart)
                        {
                            p.write(start, chunk.asSlice(0, holeStart - start));
                        }
                        if (end > holeEnd)
                        {
                            p.write(holeEnd, chunk.asSlice(holeEnd - start));
                        }
                    }
                }
                p.commit();
                for (int i = 0; i < corrupt.length; i++)
                {
                    deviceOffsets[i] = p.deviceOffsetOf(corrupt[i] * BLOCK);
                    assertTrue(deviceOffsets[i] > 0, "block " + corrupt[i] + " is mapped");
                }
                assertEquals(-1, p.deviceOffsetOf(HOLE_FIRST * BLOCK), "the hole is unmapped");
            }
        }
        assertEquals(0, verifyJson(master, poolLoop).exitCode, "fresh copy verifies clean");
        assertEquals("{\"consistent\": true, \"mismatches\": [], \"checkedBytes\": " + LOGICAL + "}", verifyJson(master, poolLoop).out.strip());

        // Bit rot: overwrite the chosen blocks on the pool device underneath Presync.
        for (final long offset : deviceOffsets)
        {
            final byte[] garbage = new byte[BLOCK];
            random.nextBytes(garbage);
            writeDevice(poolLoop.device(), offset, garbage);
        }
        final Result corrupted = verifyJson(master, poolLoop);
        assertEquals(Main.EXIT_FAILURE, corrupted.exitCode, corrupted.err);
        assertEquals("{\"consistent\": false, \"mismatches\": [" +
            range(0, 3, "slave-corrupt") + ", " + range(50, 2, "slave-corrupt") + ", " + range(700, 1, "slave-corrupt") + ", " +
            range(999, 1, "slave-corrupt") + ", " + range(1100, 1, "slave-corrupt") + ", " + range(BLOCKS - 1, 1, "slave-corrupt") +
            "], \"checkedBytes\": " + LOGICAL + "}", corrupted.out.strip());

        // Missed writes: change master blocks next to corrupt ones (other kind: separate ranges), one
        // that is corrupt on the slave too (reported once, as slave-corrupt), and two inside the hole.
        final long[] changed = {3, 4, 51, 300, 1000, 1001, 1050};
        for (final long block : changed)
        {
            final byte[] data = new byte[BLOCK];
            random.nextBytes(data);
            writeDevice(master.device(), block * BLOCK, data);
            System.arraycopy(data, 0, content, (int)(block * BLOCK), BLOCK);
        }
        final List<Mismatch> expected = new ArrayList<>(List.of(
            new Mismatch(0, 3 * BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(3 * BLOCK, 2 * BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(50 * BLOCK, 2 * BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(300 * BLOCK, BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(700 * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(999 * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch(1000 * BLOCK, 2 * BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(1050 * BLOCK, BLOCK, Mismatch.Kind.MASTER_DIFFERS),
            new Mismatch(1100 * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT),
            new Mismatch((BLOCKS - 1) * BLOCK, BLOCK, Mismatch.Kind.SLAVE_CORRUPT)));
        final VerifyResult both = Verifier.verify(master.device(), poolLoop.device(), "vm");
        assertEquals(expected, both.mismatches());
        assertEquals(LOGICAL, both.checkedBytes());
        assertEquals(9L * BLOCK, both.mismatchBytes(Mismatch.Kind.SLAVE_CORRUPT));
        assertEquals(6L * BLOCK, both.mismatchBytes(Mismatch.Kind.MASTER_DIFFERS));

        // Human output names every range.
        final Result human = execute("verify", "--master", master.path(), "--pool", poolLoop.path(), "--partition", "vm");
        assertEquals(Main.EXIT_FAILURE, human.exitCode);
        assertTrue(human.out.contains("10 mismatching ranges"), human.out);
        assertTrue(human.out.contains("master-differs offset " + 1000 * BLOCK + ", " + 2 * BLOCK + " bytes"), human.out);

        // Repair re-transfers exactly those ranges; verify is clean again.
        final Result repaired = execute("repair", "--master", master.path(), "--pool", poolLoop.path(), "--partition", "vm", "--json");
        assertEquals(Main.EXIT_OK, repaired.exitCode, repaired.out + repaired.err);
        long expectedBytes = 0;
        for (final Mismatch m : expected)
        {
            expectedBytes += m.lengthBytes();
        }
        assertTrue(repaired.out.contains("\"repairedBytes\": " + expectedBytes), repaired.out);
        assertTrue(repaired.out.startsWith("{\"consistent\": true"), repaired.out);
        final Result clean = verifyJson(master, poolLoop);
        assertEquals(Main.EXIT_OK, clean.exitCode, clean.out);
        assertEquals("{\"consistent\": true, \"mismatches\": [], \"checkedBytes\": " + LOGICAL + "}", clean.out.strip());
        final Result nothing = execute("repair", "--master", master.path(), "--pool", poolLoop.path(), "--partition", "vm");
        assertEquals(Main.EXIT_OK, nothing.exitCode);
        assertTrue(nothing.out.contains("consistent, nothing to repair"), nothing.out);

        // The export equals the master byte for byte.
        final Path image = loops.folder().resolve("export.img");
        final Result exported = execute("export", "--pool", poolLoop.path(), "--partition", "vm", "--to", image.toString());
        assertEquals(Main.EXIT_OK, exported.exitCode, exported.err);
        assertArrayEquals(content, Files.readAllBytes(image));
        assertArrayEquals(content, readDevice(master.device()));
    }

    @Test
    void refusesWrongInputsWithOneSentence() throws Exception
    {
        final LoopDevices.Loop master = loops.create(4L << 20);
        final LoopDevices.Loop poolLoop = loops.create(16L << 20);
        final LoopDevices.Loop notAPool = loops.create(4L << 20);
        try (Pool pool = Pool.create(poolLoop.device(), Pool.CreateOptions.defaults()))
        {
            pool.allocate("vm", MasterIdentity.of(master.path(), 4L << 20), 5L << 20);
            pool.allocate("small", MasterIdentity.of("other", 2L << 20), 3L << 20);
        }
        for (final String command : new String[] {"verify", "repair"})
        {
            assertRefused(execute(command, "--master", "/dev/no-such-master", "--pool", poolLoop.path(), "--partition", "vm"),
                "/dev/no-such-master does not exist; name the master's block device with --master");
            assertRefused(execute(command, "--master", master.path(), "--pool", poolLoop.path(), "--partition", "nope"),
                "pool " + poolLoop.path() + " has no partition named 'nope'; 'presync pool list --pool " + poolLoop.path() + "' shows them");
            assertRefused(execute(command, "--master", master.path(), "--pool", notAPool.path(), "--partition", "vm"),
                notAPool.path() + " holds no presync pool");
            assertRefused(execute(command, "--master", master.path(), "--pool", poolLoop.path(), "--partition", "small"),
                master.path() + " holds 4194304 bytes but partition 'small' replicates a master of 2097152 bytes; name the master it replicates");
            assertRefused(execute(command, "--master", poolLoop.path(), "--pool", poolLoop.path(), "--partition", "vm"),
                poolLoop.path() + " is given as both master and pool");
        }
        // An empty (never written) partition over an all-zero master is consistent.
        final Result empty = verifyJson(master, poolLoop);
        assertEquals(Main.EXIT_OK, empty.exitCode, empty.err);
        assertFalse(empty.out.contains("slave-corrupt"));
    }

    @Test
    void poolImportCopiesAQuiescedMasterThatThenVerifiesClean() throws Exception
    {
        final long size = 8L << 20;
        final LoopDevices.Loop master = loops.create(size);
        final LoopDevices.Loop poolLoop = loops.create(24L << 20);
        final byte[] content = new byte[(int)size];
        new Random(7).nextBytes(content);
        Arrays.fill(content, 4 * BLOCK, 300 * BLOCK, (byte)0);
        Arrays.fill(content, (int)size - 3 * BLOCK, (int)size, (byte)0);
        writeDevice(master.device(), 0, content);
        assertEquals(Main.EXIT_OK, execute("pool", "create", poolLoop.path()).exitCode);
        assertEquals(Main.EXIT_OK, execute("pool", "allocate", "--pool", poolLoop.path(), "--name", "vm", "--size", "9M",
            "--master", master.path()).exitCode);
        // Before any copy every data block differs, which the report explains rather than leaving it to look like a fault.
        final Result early = execute("verify", "--master", master.path(), "--pool", poolLoop.path(), "--partition", "vm");
        assertEquals(Main.EXIT_FAILURE, early.exitCode, early.out + early.err);
        assertTrue(early.out.contains("\nnote: partition 'vm' is ALLOCATED, its initial sync not finished: what it has not copied " +
            "yet differs from the master; 'presync replicate' with the same devices and --partition finishes it\n"), early.out);
        final Result imported = execute("pool", "import", "--pool", poolLoop.path(), "--name", "vm", "--from", master.path());
        assertEquals(Main.EXIT_OK, imported.exitCode, imported.err);
        final long dataBytes = size - (296L + 3) * BLOCK;
        try (Pool pool = Pool.openReadOnly(poolLoop.device()))
        {
            assertEquals(dataBytes, pool.partition("vm").orElseThrow().usedBytes(), "zero blocks stay unmapped");
        }
        final Result verified = verifyJson(master, poolLoop);
        assertEquals("{\"consistent\": true, \"mismatches\": [], \"checkedBytes\": " + size + "}", verified.out.strip());
        assertEquals(Main.EXIT_OK, verified.exitCode);

        // Progress (what 'presync verify' shows on a terminal): never backwards, of the whole range, ending at its end.
        final List<long[]> reports = new ArrayList<>();
        assertTrue(Verifier.verify(master.device(), poolLoop.device(), "vm", (done, total) -> reports.add(new long[] {done, total}))
            .consistent());
        assertTrue(!reports.isEmpty());
        for (int i = 0; i < reports.size(); i++)
        {
            assertEquals(size, reports.get(i)[1]);
            assertTrue(i == 0 || reports.get(i)[0] >= reports.get(i - 1)[0], "monotonic");
        }
        assertEquals(size, reports.get(reports.size() - 1)[0]);
    }

    /**
     * A block holding, like ext4's block 0 with metadata_csum, a 1 KiB structure whose last 4 bytes are the
     * CRC32C of the rest (the kernel's raw register): every payload gives the same block CRC32C.
     */
    private static byte[] selfChecksummedBlock(final long seed)
    {
        final byte[] block = new byte[BLOCK];
        final byte[] payload = new byte[1020];
        new Random(seed).nextBytes(payload);
        System.arraycopy(payload, 0, block, 1024, payload.length);
        final CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).putInt(1024 + 1020, ~(int)crc.getValue());
        return block;
    }

    private static int crc32c(final byte[] block)
    {
        final CRC32C crc = new CRC32C();
        crc.update(block);
        return (int)crc.getValue();
    }

    @Test
    void reportsAndRepairsAMasterBlockWhoseBytesChangedButNotItsCrc32c() throws Exception
    {
        final byte[] first = selfChecksummedBlock(1);
        final byte[] second = selfChecksummedBlock(2);
        assertFalse(Arrays.equals(first, second));
        assertEquals(crc32c(first), crc32c(second), "the precondition: their CRC32C collides");
        final long size = 1L << 20;
        final LoopDevices.Loop master = loops.create(size);
        final LoopDevices.Loop poolLoop = loops.create(24L << 20);
        final byte[] content = new byte[(int)size];
        new Random(3).nextBytes(content);
        System.arraycopy(first, 0, content, 0, BLOCK);
        writeDevice(master.device(), 0, content);
        assertEquals(Main.EXIT_OK, execute("pool", "create", poolLoop.path()).exitCode);
        assertEquals(Main.EXIT_OK, execute("pool", "allocate", "--pool", poolLoop.path(), "--name", "vm", "--size", "2M",
            "--master", master.path()).exitCode);
        assertEquals(Main.EXIT_OK, execute("pool", "import", "--pool", poolLoop.path(), "--name", "vm", "--from", master.path()).exitCode);
        assertEquals(Main.EXIT_OK, verifyJson(master, poolLoop).exitCode);

        // Rewritten behind Presync's back, as ext4 rewrites its superblock.
        writeDevice(master.device(), 0, second);
        System.arraycopy(second, 0, content, 0, BLOCK);
        final Result differs = verifyJson(master, poolLoop);
        assertEquals(Main.EXIT_FAILURE, differs.exitCode, differs.out);
        assertEquals("{\"consistent\": false, \"mismatches\": [" + range(0, 1, "master-differs") + "], \"checkedBytes\": " + size + "}",
            differs.out.strip());
        assertEquals(Main.EXIT_OK, execute("repair", "--master", master.path(), "--pool", poolLoop.path(), "--partition", "vm").exitCode);
        assertEquals(Main.EXIT_OK, verifyJson(master, poolLoop).exitCode);
        final Path image = loops.folder().resolve("export.img");
        assertEquals(Main.EXIT_OK, execute("export", "--pool", poolLoop.path(), "--partition", "vm", "--to", image.toString()).exitCode);
        assertArrayEquals(content, Files.readAllBytes(image));
    }

    private static void assertRefused(final Result result, final String messageStart)
    {
        assertEquals(Main.EXIT_USAGE, result.exitCode, result.out + result.err);
        assertTrue(result.err.startsWith("presync: " + messageStart), result.err);
        assertEquals(1, result.err.strip().lines().count(), "one line, no stack trace: " + result.err);
    }

    private static String range(final long block, final long blocks, final String kind)
    {
        return "{\"offsetBytes\": " + block * BLOCK + ", \"lengthBytes\": " + blocks * BLOCK + ", \"kind\": \"" + kind + "\"}";
    }

    private record Result(int exitCode, String out, String err)
    {
    }

    private static Result verifyJson(final LoopDevices.Loop master, final LoopDevices.Loop pool)
    {
        return execute("verify", "--master", master.path(), "--pool", pool.path(), "--partition", "vm", "--json");
    }

    static Result execute(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    static void writeDevice(final Path device, final long offset, final byte[] data) throws Exception
    {
        try (BlockDevice d = BlockDevice.open(device, OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, data.length, BLOCK);
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
            d.write(buffer, offset);
            d.flush();
        }
    }

    static byte[] readDevice(final Path device) throws Exception
    {
        try (BlockDevice d = BlockDevice.open(device, OpenOptions.forReading()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, d.sizeBytes(), BLOCK);
            d.read(buffer, 0);
            return buffer.toArray(ValueLayout.JAVA_BYTE);
        }
    }
}
