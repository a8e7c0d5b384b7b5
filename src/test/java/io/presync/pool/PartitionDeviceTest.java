package io.presync.pool;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.presync.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data path on a real loop device (O_DIRECT), 512- and 4096-byte sectors, checked after reopening. */
class PartitionDeviceTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @Test
    void randomWritesOn512ByteSectors() throws Exception
    {
        randomWrites(512);
    }

    @Test
    void randomWritesOn4KiBSectors() throws Exception
    {
        randomWrites(4096);
    }

    /**
     * Exporting onto a device overwrites it, so what it visibly holds needs --force as a non-empty file does: the
     * partition's own master (that would be a restore), or a filesystem.
     */
    @Test
    void exportRefusesTheMasterAndAFilesystemWithoutForce() throws Exception
    {
        final LoopDevices.Loop pool = loops.create(32 << 20);
        final LoopDevices.Loop master = loops.create(8 << 20);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + master.path(), "bs=1M", "count=8", "oflag=direct", "status=none");
        final Path original = loops.folder().resolve("master.img");
        LoopDevices.run("dd", "if=" + master.path(), "of=" + original, "bs=1M", "status=none");
        run(0, "pool", "create", pool.path());
        run(0, "pool", "allocate", "--pool", pool.path(), "--name", "vm", "--size", "8M", "--master", master.path());
        run(0, "pool", "import", "--pool", pool.path(), "--name", "vm", "--from", master.path());

        final String onMaster = run(Main.EXIT_USAGE, "export", "--pool", pool.path(), "--partition", "vm", "--to", master.path());
        assertEquals("presync: " + master.path() + " is the master partition 'vm' replicates; pass --force to overwrite it with " +
            "the replica (a restore), or export to another device or a file", onMaster.strip());
        LoopDevices.run("cmp", original.toString(), master.path());
        run(0, "export", "--pool", pool.path(), "--partition", "vm", "--to", master.path(), "--force");
        LoopDevices.run("cmp", original.toString(), master.path());

        final LoopDevices.Loop filesystem = loops.create(8 << 20);
        LoopDevices.run("mkfs.ext4", "-q", "-F", filesystem.path());
        final String onFilesystem = run(Main.EXIT_USAGE, "export", "--pool", pool.path(), "--partition", "vm", "--to", filesystem.path());
        assertEquals("presync: " + filesystem.path() + " holds an ext4 filesystem; pass --force to overwrite it with partition 'vm'",
            onFilesystem.strip());
        assertEquals(java.util.List.of("ext4"), Signatures.detect(filesystem.device()).stream().map(Signatures.Found::name).toList(),
            "left as it was");
        run(0, "export", "--pool", pool.path(), "--partition", "vm", "--to", filesystem.path(), "--force");
        LoopDevices.run("cmp", original.toString(), filesystem.path());
    }

    /** Runs the command line, asserts its exit code and returns what it wrote to stderr. */
    private static String run(final int expectedCode, final String... args)
    {
        final StringWriter err = new StringWriter();
        assertEquals(expectedCode, Main.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err)),
            String.join(" ", args) + ": " + err);
        return err.toString();
    }

    @Test
    void importThenExportGivesTheSameImageWithZeroBlocksUnmapped() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(32 << 20);
        final byte[] source = new byte[8 << 20];
        final Random random = new Random(5);
        for (int block = 0; block < source.length / PartitionTest.BLOCK; block++)
        {
            if (random.nextInt(3) != 0)
            {
                final byte[] data = PartitionTest.randomBlocks(random, 1);
                System.arraycopy(data, 0, source, block * PartitionTest.BLOCK, data.length);
            }
        }
        final Path sourceFile = loops.folder().resolve("source.img");
        Files.write(sourceFile, source);
        final Path exported = loops.folder().resolve("exported.img");
        final StringWriter err = new StringWriter();
        final StringWriter out = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"pool", "create", loop.path()}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertEquals(0, Main.execute(new String[] {"pool", "allocate", "--pool", loop.path(), "--name", "vm", "--size", "8M",
            "--logical-size", "8M"}, new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertEquals(0, Main.execute(new String[] {"pool", "import", "--pool", loop.path(), "--name", "vm", "--from", sourceFile.toString()},
            new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertEquals(0, Main.execute(new String[] {"export", "--pool", loop.path(), "--partition", "vm", "--to", exported.toString()},
            new PrintWriter(out), new PrintWriter(err)), err.toString());
        LoopDevices.run("cmp", sourceFile.toString(), exported.toString());
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            final PartitionInfo info = pool.partition("vm").orElseThrow();
            long nonZero = 0;
            for (int block = 0; block < source.length / PartitionTest.BLOCK; block++)
            {
                boolean zero = true;
                for (int i = 0; i < PartitionTest.BLOCK && zero; i++)
                {
                    zero = source[block * PartitionTest.BLOCK + i] == 0;
                }
                nonZero += zero ? 0 : PartitionTest.BLOCK;
            }
            assertEquals(nonZero, info.usedBytes(), "only non-zero blocks are stored");
        }
    }

    private void randomWrites(final int sectorBytes) throws Exception
    {
        final int logical = 32 << 20;
        final LoopDevices.Loop loop = loops.create(48 << 20, sectorBytes);
        final PartitionTest.Model model = new PartitionTest.Model(logical);
        final Random random = new Random(sectorBytes);
        try (Pool pool = Pool.create(loop.device(), Pool.CreateOptions.defaults()))
        {
            pool.allocate("vm", MasterIdentity.of("/dev/master", logical), 20 << 20);
            try (Partition p = pool.openPartition("vm"))
            {
                for (int i = 0; i < 200; i++)
                {
                    final int blocks = 1 + random.nextInt(64);
                    final long offset = (long)random.nextInt(logical / PartitionTest.BLOCK - blocks) * PartitionTest.BLOCK;
                    PartitionTest.write(p, model, offset, PartitionTest.randomBlocks(random, blocks));
                }
                p.commit();
            }
        }
        try (Pool pool = Pool.open(loop.device()); Partition p = pool.openPartition("vm"))
        {
            PartitionTest.assertMatches(p, model);
            assertEquals(PartitionState.COPYING, pool.partition("vm").orElseThrow().state());
        }

        // Export to a file: byte for byte the model (cmp), holes where nothing was written.
        final Path reference = loops.folder().resolve("reference.img");
        Files.write(reference, model.bytes);
        final Path image = loops.folder().resolve("export.img");
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        assertEquals(0, Main.execute(new String[] {"export", "--pool", loop.path(), "--partition", "vm", "--to", image.toString()},
            new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertTrue(out.toString().startsWith("exported vm to " + image + ": 32 MiB image"), out.toString());
        LoopDevices.run("cmp", reference.toString(), image.toString());
        final long written = (long)model.written.cardinality() * PartitionTest.BLOCK;
        final long allocated = Long.parseLong(LoopDevices.run("stat", "-c", "%b", image.toString()).strip()) * 512;
        assertTrue(allocated <= written + (1 << 20), "holes stay holes: " + allocated + " allocated for " + written + " written");
        final int again = Main.execute(new String[] {"export", "--pool", loop.path(), "--partition", "vm", "--to", image.toString()},
            new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertEquals(Main.EXIT_USAGE, again, "an existing image needs --force");

        // Export to a device: same bytes, unmapped ranges discarded (the backing file stays sparse).
        final LoopDevices.Loop target = loops.create(logical, sectorBytes);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + target.path(), "bs=1M", "count=32", "oflag=direct", "status=none");
        final java.util.List<long[]> progress = new java.util.ArrayList<>();
        try (Pool pool = Pool.openReadOnly(loop.device()))
        {
            final ExportResult result = pool.export("vm", target.device(), false, (done, total) -> progress.add(new long[] {done, total}));
            assertEquals(written, result.dataBytes());
            assertEquals(logical - written, result.holeBytes());
        }
        // What 'presync export' shows on a terminal: never backwards, of the whole image, ending at its end.
        assertTrue(!progress.isEmpty());
        for (int i = 0; i < progress.size(); i++)
        {
            assertEquals(logical, progress.get(i)[1]);
            assertTrue(i == 0 || progress.get(i)[0] >= progress.get(i - 1)[0], "monotonic");
        }
        assertEquals(logical, progress.get(progress.size() - 1)[0]);
        LoopDevices.run("cmp", reference.toString(), target.path());
        assertTrue(target.allocatedBytes() <= written + (1 << 20), "discarded: " + target.allocatedBytes());
    }
}
