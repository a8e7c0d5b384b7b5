package io.presync.pool;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Proves a partition right, or says exactly where it is wrong: for every 4 KiB block of the master's
 * logical range, the checksum record stored in the partition (CRC32C and {@link BlockHash}) is
 * compared with
 * <ol>
 *   <li>the checksums of the data on the slave (where the block is mapped): a difference is
 *       {@link Mismatch.Kind#SLAVE_CORRUPT} (bit rot, a write underneath Presync);</li>
 *   <li>the checksums of the master's data at the same logical offset (where the block is unmapped the
 *       stored values are those of a zero block, so the master must read as zeros there): a difference
 *       is {@link Mismatch.Kind#MASTER_DIFFERS} (a write the replication missed). This is the rule
 *       {@link #matchesStored}, which needs no read of the slave: the replication job's resume and
 *       tap-loss comparisons use it alone.</li>
 * </ol>
 * A block that is corrupt on the slave is reported as slave-corrupt only (its master comparison
 * means nothing then); repair re-transfers it from the master either way. Adjacent mismatching
 * blocks of the same kind coalesce into one {@link Mismatch}.
 *
 * <p>The result is only meaningful at a consistent point: no writes in flight to the master (tap
 * drained, or the master quiesced by the user) and none to the partition. The master is only read
 * (O_RDONLY, not exclusive, so it may be mounted). Both sides are read sequentially in 4 MiB chunks
 * with synchronous direct reads (master) and the pool's data path (slave); the two buffers and the
 * CRC arrays are allocated once, the per-block loop allocates nothing.
 */
public final class Verifier implements AutoCloseable
{
    /** Logical bytes compared per step: one master read, one slave read, one checksum load. */
    public static final int CHUNK_BYTES = 4 << 20;
    static final int BLOCK = Partition.BLOCK;
    private static final int BLOCKS_PER_CHUNK = CHUNK_BYTES / BLOCK;

    private final BlockDevice master;
    private final Partition partition;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment masterBuffer;
    private final MemorySegment slaveBuffer;
    private final ByteBuffer masterView;
    private final ByteBuffer slaveView;
    private final int[] stored = new int[BLOCKS_PER_CHUNK];
    private final long[] storedHashes = new long[BLOCKS_PER_CHUNK];
    private final boolean[] mapped = new boolean[BLOCKS_PER_CHUNK];
    private final CRC32C crc = new CRC32C();
    private final MismatchRuns runs = new MismatchRuns(BLOCK);
    private long checkedBytes;

    private Verifier(final BlockDevice master, final Partition partition) throws RefusedException
    {
        checkMaster(master, partition);
        this.master = master;
        this.partition = partition;
        masterBuffer = BlockDevice.allocateAligned(arena, CHUNK_BYTES, BLOCK);
        slaveBuffer = BlockDevice.allocateAligned(arena, CHUNK_BYTES, BLOCK);
        masterView = masterBuffer.asByteBuffer();
        slaveView = slaveBuffer.asByteBuffer();
    }

    /** Compares the whole logical range of {@code partition} (see the class comment). */
    public static VerifyResult verify(final BlockDevice master, final Partition partition) throws IOException
    {
        try (Verifier verifier = new Verifier(master, partition))
        {
            verifier.check(0, blockFloor(partition.logicalSizeBytes()));
            return verifier.result();
        }
    }

    /**
     * Compares only the given ranges (widened to whole 4 KiB blocks), in the order given; what repair
     * uses to check its work.
     */
    public static VerifyResult verify(final BlockDevice master, final Partition partition, final List<Mismatch> ranges)
        throws IOException
    {
        try (Verifier verifier = new Verifier(master, partition))
        {
            for (final Mismatch range : ranges)
            {
                final long start = range.offsetBytes() / BLOCK * BLOCK;
                final long end = Math.min(blockFloor(partition.logicalSizeBytes()), (range.endBytes() + BLOCK - 1) / BLOCK * BLOCK);
                verifier.check(start, end);
            }
            return verifier.result();
        }
    }

    /**
     * Opens the master read-only and the pool read-only and compares partition {@code name} in full.
     *
     * @throws RefusedException when a path does not exist, the pool device holds no pool, the partition
     *         does not exist, or the master's size is not the one the partition replicates.
     */
    public static VerifyResult verify(final Path master, final Path pool, final String name) throws IOException
    {
        refuseSame(master, pool);
        try (BlockDevice masterDevice = openMaster(master);
             Pool opened = Pool.openReadOnly(pool);
             Partition partition = opened.viewPartition(name))
        {
            return verify(masterDevice, partition);
        }
    }

    /** Opens a master for reading only: not exclusive, so a mounted master may be verified; images are accepted. */
    static BlockDevice openMaster(final Path master) throws IOException
    {
        if (!Files.exists(master))
        {
            throw new RefusedException(master + " does not exist; name the master's block device with --master");
        }
        return BlockDevice.open(master, OpenOptions.forReading().withAllowRegularFile(true));
    }

    static void refuseSame(final Path master, final Path pool) throws IOException
    {
        if (Files.exists(master) && Files.exists(pool) && master.toRealPath().equals(pool.toRealPath()))
        {
            throw new RefusedException(master + " is given as both master and pool; name the master with --master and the pool with --pool");
        }
    }

    static void checkMaster(final BlockDevice master, final Partition partition) throws RefusedException
    {
        if (master.sizeBytes() != partition.logicalSizeBytes())
        {
            throw new RefusedException(master.path() + " holds " + master.sizeBytes() + " bytes but partition '" + partition.name() +
                "' replicates a master of " + partition.logicalSizeBytes() + " bytes; name the master it replicates");
        }
    }

    private void check(final long start, final long end) throws IOException
    {
        long position = start;
        while (position < end)
        {
            final int length = (int)Math.min(CHUNK_BYTES, end - position);
            final int blocks = length / BLOCK;
            partition.checksums(position, length, stored, storedHashes);
            master.read(masterBuffer.asSlice(0, length), position);
            partition.readUnchecked(position, slaveBuffer.asSlice(0, length), mapped);
            for (int b = 0; b < blocks; b++)
            {
                final Mismatch.Kind kind;
                final long at = (long)b * BLOCK;
                if (mapped[b] && !matchesStored(crcOf(slaveView, b), BlockHash.hash(slaveBuffer, at), stored[b], storedHashes[b]))
                {
                    kind = Mismatch.Kind.SLAVE_CORRUPT;
                }
                else if (!matchesStored(crcOf(masterView, b), BlockHash.hash(masterBuffer, at), stored[b], storedHashes[b]))
                {
                    kind = Mismatch.Kind.MASTER_DIFFERS;
                }
                else
                {
                    kind = null;
                }
                runs.note(position + (long)b * BLOCK, kind);
            }
            checkedBytes += length;
            position += length;
        }
        runs.endRun();
    }

    /**
     * The rule for "this master block is what the replica stores": its CRC32C and its {@link BlockHash}
     * both equal the stored record ({@link Partition#checksums(long, long, int[], long[])}, which gives
     * the zero block's values where unmapped). No read of the slave is needed. The hash is what makes this
     * enough: a block holding a structure that ends with its own raw CRC32C (an ext4 superblock with
     * metadata_csum) has the same block CRC32C whatever its contents, but not the same hash.
     */
    public static boolean matchesStored(final int masterCrc, final long masterHash, final int storedCrc, final long storedHash)
    {
        return masterCrc == storedCrc && masterHash == storedHash;
    }

    private int crcOf(final ByteBuffer view, final int block)
    {
        crc.reset();
        crc.update(view.clear().position(block * BLOCK).limit((block + 1) * BLOCK));
        return (int)crc.getValue();
    }

    private VerifyResult result()
    {
        return new VerifyResult(runs.finish(), checkedBytes);
    }

    private static long blockFloor(final long bytes)
    {
        return bytes / BLOCK * BLOCK;
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
