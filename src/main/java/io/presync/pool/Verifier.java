package io.presync.pool;

import io.presync.RefusedException;
import io.presync.Threads;
import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
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
 * (O_RDONLY, not exclusive, so it may be mounted).
 *
 * <h2>Cost</h2>
 * The comparison gives the same verdicts as hashing both sides of every block, for less work:
 * <ul>
 *   <li>A master with an allocation map (a loop device's backing file, or a regular file) is mapped
 *       afresh (SEEK_DATA/SEEK_HOLE): a block in a hole reads as zeros, so it is compared as the zero
 *       block without being read. This is the device's state as its completed block writes left it,
 *       which is what a replica owes: the master is not flushed (fsync would be a write the job's tap
 *       sees during the comparison), so buffered writes to the device node still in its page cache are
 *       not counted, as the tap has not seen them complete either. A block read from the master that is
 *       all zeros is the zero block too.</li>
 *   <li>A mapped block whose master bytes equal the slave's is hashed once: both sides have the same
 *       CRC32C and {@link BlockHash}.</li>
 *   <li>Two reader threads fill the next chunk while the caller's thread compares the current one: one
 *       reads the master, the other reads the stored checksums and the slave and hashes the slave's
 *       mapped blocks (so hashing runs beside the comparison, and the two devices are read at once).
 *       Two sets of buffers, handed over by semaphores, are allocated once; the per-block loops
 *       allocate nothing.</li>
 * </ul>
 * {@link Scope#SLAVE} checks only the slave against the stored checksums (bit rot, writes underneath
 * Presync) and reads nothing of the master.
 */
public final class Verifier implements AutoCloseable
{
    /** Logical bytes compared per step: one master read, one slave read, one checksum load. */
    public static final int CHUNK_BYTES = 4 << 20;
    static final int BLOCK = Partition.BLOCK;
    private static final int BLOCKS_PER_CHUNK = CHUNK_BYTES / BLOCK;
    private static final int SETS = 2;
    private static final int ZERO_BLOCK_CRC = ChecksumAreaDescriptor.ZERO_BLOCK_CRC;
    private static final long ZERO_BLOCK_HASH = ChecksumAreaDescriptor.ZERO_BLOCK_HASH;

    /** What a verification compares (see the class comment). */
    public enum Scope
    {
        /** The stored checksums against the slave's data and against the master's. */
        FULL,
        /** The stored checksums against the slave's data only; the master is not read. */
        SLAVE
    }

    /** One chunk's data, filled by the two readers and compared by the caller's thread. */
    private static final class ChunkSet
    {
        final MemorySegment masterBuffer;
        final MemorySegment slaveBuffer;
        final ByteBuffer masterView;
        final ByteBuffer slaveView;
        final int[] stored = new int[BLOCKS_PER_CHUNK];
        final long[] storedHashes = new long[BLOCKS_PER_CHUNK];
        final boolean[] mapped = new boolean[BLOCKS_PER_CHUNK];
        /** CRC32C and hash of each mapped block's slave data, computed by the slave's reader. */
        final int[] slaveCrcs = new int[BLOCKS_PER_CHUNK];
        final long[] slaveHashes = new long[BLOCKS_PER_CHUNK];
        /** Blocks the master may hold data in (read); the others are in a hole of its allocation map. */
        final boolean[] masterData = new boolean[BLOCKS_PER_CHUNK];
        long position;
        int length;
        boolean endOfRange;
        boolean last;

        ChunkSet(final Arena arena)
        {
            masterBuffer = BlockDevice.allocateAligned(arena, CHUNK_BYTES, BLOCK);
            slaveBuffer = BlockDevice.allocateAligned(arena, CHUNK_BYTES, BLOCK);
            masterView = masterBuffer.asByteBuffer();
            slaveView = slaveBuffer.asByteBuffer();
        }
    }

    private final BlockDevice master;
    private final Partition partition;
    private final Scope scope;
    private final Arena arena = Arena.ofShared();
    private final ChunkSet[] sets = new ChunkSet[SETS];
    private final Semaphore filledBySlave = new Semaphore(0);
    private final Semaphore filledByMaster = new Semaphore(0);
    private final Semaphore emptyForSlave = new Semaphore(SETS);
    private final Semaphore emptyForMaster = new Semaphore(SETS);
    private final CRC32C crc = new CRC32C();
    private final CRC32C slaveCrc = new CRC32C();
    private final MismatchRuns runs = new MismatchRuns(BLOCK);
    private final MemorySegment zeroBlock;
    private long checkedBytes;
    // The master's allocated extents (4 KiB aligned, ascending), or null: no map, every block is read.
    private long[] dataStart;
    private long[] dataEnd;
    private int dataCount;
    private volatile boolean stop;
    private volatile Throwable readFailure;

    private Verifier(final BlockDevice master, final Partition partition, final Scope scope) throws IOException
    {
        checkMaster(master, partition);
        this.master = master;
        this.partition = partition;
        this.scope = scope;
        for (int i = 0; i < SETS; i++)
        {
            sets[i] = new ChunkSet(arena);
        }
        zeroBlock = arena.allocate(BLOCK);
        if (scope == Scope.FULL && master.hasAllocationMap())
        {
            mapMaster();
        }
    }

    /** Compares the whole logical range of {@code partition} (see the class comment). */
    public static VerifyResult verify(final BlockDevice master, final Partition partition) throws IOException
    {
        return verify(master, partition, Scope.FULL);
    }

    /** Compares the whole logical range of {@code partition} in the given scope (see the class comment). */
    public static VerifyResult verify(final BlockDevice master, final Partition partition, final Scope scope) throws IOException
    {
        try (Verifier verifier = new Verifier(master, partition, scope))
        {
            verifier.check(new long[] {0}, new long[] {blockFloor(partition.logicalSizeBytes())});
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
        try (Verifier verifier = new Verifier(master, partition, Scope.FULL))
        {
            final long[] starts = new long[ranges.size()];
            final long[] ends = new long[ranges.size()];
            for (int i = 0; i < ranges.size(); i++)
            {
                final Mismatch range = ranges.get(i);
                starts[i] = range.offsetBytes() / BLOCK * BLOCK;
                ends[i] = Math.min(blockFloor(partition.logicalSizeBytes()), (range.endBytes() + BLOCK - 1) / BLOCK * BLOCK);
            }
            verifier.check(starts, ends);
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

    /** The master's allocation map now (see the class comment). */
    private void mapMaster() throws IOException
    {
        dataStart = new long[64];
        dataEnd = new long[64];
        master.forEachAllocatedExtent((start, end) ->
        {
            if (dataCount == dataStart.length)
            {
                dataStart = Arrays.copyOf(dataStart, 2 * dataCount);
                dataEnd = Arrays.copyOf(dataEnd, 2 * dataCount);
            }
            dataStart[dataCount] = start / BLOCK * BLOCK;
            dataEnd[dataCount] = (end + BLOCK - 1) / BLOCK * BLOCK;
            dataCount++;
        });
    }

    /**
     * Compares {@code [starts[i], ends[i])} for each i: a reader thread fills the chunk sets in turn, this
     * thread compares them in the same order.
     */
    private void check(final long[] starts, final long[] ends) throws IOException
    {
        if (starts.length == 0)
        {
            return;
        }
        // The master's and the slave's reads go to different devices: one reader each, so they overlap.
        final boolean readMaster = scope == Scope.FULL;
        final Thread slaveReader = Thread.ofPlatform().name("presync-verify-slave").daemon()
            .unstarted(() -> read(starts, ends, false, emptyForSlave, filledBySlave));
        final Thread masterReader = readMaster ? Thread.ofPlatform().name("presync-verify-master").daemon()
            .unstarted(() -> read(starts, ends, true, emptyForMaster, filledByMaster)) : null;
        slaveReader.start();
        if (masterReader != null)
        {
            masterReader.start();
        }
        try
        {
            int next = 0;
            while (true)
            {
                filledBySlave.acquireUninterruptibly();
                if (readMaster)
                {
                    filledByMaster.acquireUninterruptibly();
                }
                final Throwable failure = readFailure;
                if (failure != null)
                {
                    throw failure instanceof IOException io ? io : new IOException("verify: reading failed: " + failure, failure);
                }
                final ChunkSet set = sets[next];
                next = (next + 1) % SETS;
                if (set.length > 0)
                {
                    compare(set);
                }
                final boolean last = set.last;
                emptyForSlave.release();
                emptyForMaster.release();
                if (last)
                {
                    break;
                }
            }
        }
        finally
        {
            stop = true;
            emptyForSlave.release(SETS);
            emptyForMaster.release(SETS);
            Threads.joinUninterruptibly(slaveReader);
            if (masterReader != null)
            {
                Threads.joinUninterruptibly(masterReader);
            }
        }
    }

    /**
     * A reader thread: fills one side of the sets in turn with the chunks of the ranges (the slave's reader
     * also the chunk's position and the stored checksums); the last chunk's set is marked last.
     */
    private void read(final long[] starts, final long[] ends, final boolean masterSide, final Semaphore empty, final Semaphore filled)
    {
        int next = 0;
        try
        {
            for (int r = 0; r < starts.length; r++)
            {
                long position = starts[r];
                do
                {
                    empty.acquireUninterruptibly();
                    if (stop)
                    {
                        return;
                    }
                    final ChunkSet set = sets[next];
                    next = (next + 1) % SETS;
                    final int length = (int)Math.max(0, Math.min(CHUNK_BYTES, ends[r] - position));
                    if (masterSide)
                    {
                        fillMaster(set, position, length);
                    }
                    else
                    {
                        fillSlave(set, position, length);
                        set.endOfRange = position + length >= ends[r];
                        set.last = set.endOfRange && r == starts.length - 1;
                    }
                    position += length;
                    filled.release();
                }
                while (position < ends[r]);
            }
        }
        catch (final Throwable ex)
        {
            readFailure = ex;
            // Wakes the comparing thread whichever reader it waits for.
            filledBySlave.release();
            filledByMaster.release();
        }
    }

    private void fillSlave(final ChunkSet set, final long position, final int length) throws IOException
    {
        set.position = position;
        set.length = length;
        if (length > 0)
        {
            partition.checksums(position, length, set.stored, set.storedHashes);
            partition.readUnchecked(position, set.slaveBuffer.asSlice(0, length), set.mapped);
            // Hashed here, beside the comparing thread: the slave's side is hashed for every mapped block.
            for (int b = 0, blocks = length / BLOCK; b < blocks; b++)
            {
                if (set.mapped[b])
                {
                    slaveCrc.reset();
                    slaveCrc.update(set.slaveView.clear().position(b * BLOCK).limit((b + 1) * BLOCK));
                    set.slaveCrcs[b] = (int)slaveCrc.getValue();
                    set.slaveHashes[b] = BlockHash.hash(set.slaveBuffer, (long)b * BLOCK);
                }
            }
        }
    }

    private void fillMaster(final ChunkSet set, final long position, final int length) throws IOException
    {
        if (length == 0)
        {
            return;
        }
        final int blocks = length / BLOCK;
        if (dataStart == null)
        {
            Arrays.fill(set.masterData, 0, blocks, true);
            master.read(set.masterBuffer.asSlice(0, length), position);
            return;
        }
        Arrays.fill(set.masterData, 0, blocks, false);
        final long end = position + length;
        long readStart = Long.MAX_VALUE;
        long readEnd = 0;
        for (int i = firstDataEndingAfter(position); i < dataCount && dataStart[i] < end; i++)
        {
            final long from = Math.max(position, dataStart[i]);
            final long to = Math.min(end, dataEnd[i]);
            Arrays.fill(set.masterData, (int)((from - position) / BLOCK), (int)((to - position) / BLOCK), true);
            readStart = Math.min(readStart, from);
            readEnd = Math.max(readEnd, to);
        }
        if (readStart < readEnd)
        {
            // One read from the first to the last block with data: holes inside it read as zeros.
            master.read(set.masterBuffer.asSlice(readStart - position, readEnd - readStart), readStart);
        }
    }

    /** Index of the first master extent that ends after {@code position} (dataCount when none). */
    private int firstDataEndingAfter(final long position)
    {
        int low = 0;
        int high = dataCount;
        while (low < high)
        {
            final int mid = (low + high) >>> 1;
            if (dataEnd[mid] <= position)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }

    private void compare(final ChunkSet set)
    {
        final int blocks = set.length / BLOCK;
        final int[] stored = set.stored;
        final long[] storedHashes = set.storedHashes;
        final boolean full = scope == Scope.FULL;
        for (int b = 0; b < blocks; b++)
        {
            final long at = (long)b * BLOCK;
            final boolean masterData = full && set.masterData[b];
            Mismatch.Kind kind = null;
            if (set.mapped[b])
            {
                if (!matchesStored(set.slaveCrcs[b], set.slaveHashes[b], stored[b], storedHashes[b]))
                {
                    kind = Mismatch.Kind.SLAVE_CORRUPT;
                }
                else if (full && !(masterData &&
                    MemorySegment.mismatch(set.masterBuffer, at, at + BLOCK, set.slaveBuffer, at, at + BLOCK) < 0) &&
                    !masterMatches(set, b, at))
                {
                    // Master bytes equal to the slave's have the slave's checksums; others are hashed.
                    kind = Mismatch.Kind.MASTER_DIFFERS;
                }
            }
            else if (full && !masterMatches(set, b, at))
            {
                kind = Mismatch.Kind.MASTER_DIFFERS;
            }
            runs.note(set.position + at, kind);
        }
        checkedBytes += set.length;
        if (set.endOfRange)
        {
            runs.endRun();
        }
    }

    /** The master's block b against its stored record; a block in a hole or all zeros is the zero block. */
    private boolean masterMatches(final ChunkSet set, final int b, final long at)
    {
        if (!set.masterData[b] || MemorySegment.mismatch(set.masterBuffer, at, at + BLOCK, zeroBlock, 0, BLOCK) < 0)
        {
            return matchesStored(ZERO_BLOCK_CRC, ZERO_BLOCK_HASH, set.stored[b], set.storedHashes[b]);
        }
        return matchesStored(crcOf(set.masterView, b), BlockHash.hash(set.masterBuffer, at), set.stored[b], set.storedHashes[b]);
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
