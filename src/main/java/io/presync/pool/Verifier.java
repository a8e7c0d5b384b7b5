package io.presync.pool;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.device.DeviceCopy;
import io.presync.device.OpenOptions;
import io.presync.ffi.Errno;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
 *       CRC32C and {@link BlockHash}. An all-zero block is not hashed at all: its checksums are the
 *       constants of the format ({@link ChecksumAreaDescriptor#ZERO_BLOCK_CRC}).</li>
 *   <li>The reads go through one io_uring {@link Ring} into registered buffers: {@value #SETS} chunk
 *       sets of {@value #BUFFER_BYTES} / (2 * {@value #SETS}) bytes (master and slave side) cycle through
 * <pre>
 *   READ_FIXED(master, chunk) + READ_FIXED(pool, each mapped piece of the chunk) ──► hash + compare ──► next chunk
 *   user_data = set | side &lt;&lt; 8 | expected length &lt;&lt; 16
 * </pre>
 *       so while the caller's thread hashes and compares one chunk the reads of the next ones are queued
 *       at both devices, whose own workers (a loop device's, the disk's) never wait for the hashing.
 *       On a small machine the devices' kernel work is most of the cost: one thread hashing beside it
 *       keeps every core busy, where two reader threads reading one chunk at a time and handing it over
 *       left the devices idle while a reader hashed. Without io_uring (or with a pool I/O that has no
 *       descriptor, in tests) the same sets are read synchronously.</li>
 * </ul>
 * {@link Scope#SLAVE} checks only the slave against the stored checksums (bit rot, writes underneath
 * Presync) and reads nothing of the master. Nothing on the per-block path allocates.
 */
public final class Verifier implements AutoCloseable
{
    /** Logical bytes {@link Repairer} moves per step. */
    public static final int CHUNK_BYTES = 4 << 20;
    static final int BLOCK = Partition.BLOCK;
    /** Chunk sets in the ring pipeline: one compared, the others' reads in flight. */
    static final int SETS = 8;
    /**
     * The read buffers of all sets, both sides: each set reads {@code BUFFER_BYTES / (2 * SETS)} logical bytes, a
     * read of each device (the slave's split where the partition's mapping is). A caller with this much memory
     * faulted in already (a replication job's read buffer, idle at its final verify) can lend it: fresh memory is
     * not free (about 8 ms per MiB to fault in on a small VM, more than a tenth of a second here). Fewer, larger
     * sets (4 or 2 of 2-4 MiB a side) were not faster in the final verify of a 1.7 GiB copy.
     */
    public static final int BUFFER_BYTES = 16 << 20;
    static final int SET_BYTES = BUFFER_BYTES / (2 * SETS);
    private static final int BLOCKS_PER_SET = SET_BYTES / BLOCK;
    private static final int MASTER_SIDE = 0;
    private static final int SLAVE_SIDE = 1;
    private static final int RING_ENTRIES = 128;
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

    /** One chunk's buffers and per-block facts, filled by reads and compared on the caller's thread. */
    private static final class ChunkSet
    {
        /** Its place in sets[], carried in the user_data of its reads; its buffers are fixed buffers 2 * index + side. */
        final int index;
        final MemorySegment masterBuffer;
        final MemorySegment slaveBuffer;
        final ByteBuffer masterView;
        final ByteBuffer slaveView;
        final int[] stored = new int[BLOCKS_PER_SET];
        final long[] storedHashes = new long[BLOCKS_PER_SET];
        final boolean[] mapped = new boolean[BLOCKS_PER_SET];
        /** Blocks the master may hold data in (read); the others are in a hole of its allocation map. */
        final boolean[] masterData = new boolean[BLOCKS_PER_SET];
        long position;
        int length;
        boolean endOfRange;
        /** Reads of this set still in flight. */
        int pending;

        ChunkSet(final int index, final MemorySegment masterBuffer, final MemorySegment slaveBuffer)
        {
            this.index = index;
            this.masterBuffer = masterBuffer;
            this.slaveBuffer = slaveBuffer;
            masterView = masterBuffer.asByteBuffer();
            slaveView = slaveBuffer.asByteBuffer();
        }
    }

    private final BlockDevice master;
    private final Partition partition;
    private final Scope scope;
    private final Arena arena = Arena.ofConfined();
    private final ChunkSet[] sets = new ChunkSet[SETS];
    private final CRC32C crc = new CRC32C();
    private final long[] hashWords = new long[BlockHash.BLOCK_LONGS];
    private final MismatchRuns runs = new MismatchRuns(BLOCK);
    private final long[] location = new long[3];
    private final Completions completions = new Completions();
    private Ring ring;
    private int poolFd = -1;
    private long checkedBytes;
    // The master's allocated extents (4 KiB aligned, ascending), or null: no map, every block is read.
    private long[] dataStart;
    private long[] dataEnd;
    private int dataCount;
    // The ranges to compare and where the next set starts.
    private long[] starts;
    private long[] ends;
    private int rangeIndex;
    private long nextPosition;
    /** Told the bytes compared so far as {@link DeviceCopy.Progress} says; null: nobody asks. */
    private final DeviceCopy.Progress progress;
    // The first failed read: its set's side and result.
    private int failedUserData = -1;
    private int failedResult;

    private Verifier(final BlockDevice master, final Partition partition, final Scope scope, final boolean useRing,
        final MemorySegment memory, final DeviceCopy.Progress progress) throws IOException
    {
        checkMaster(master, partition);
        this.master = master;
        this.partition = partition;
        this.scope = scope;
        this.progress = progress;
        boolean done = false;
        try
        {
            // The caller's memory or our own, cut the same way: buffer 2i + side is set i's read buffer on that side.
            final MemorySegment all = memory != null ? memory : Ring.allocateBuffer(arena, BUFFER_BYTES);
            final MemorySegment[] buffers = new MemorySegment[2 * SETS];
            for (int b = 0; b < buffers.length; b++)
            {
                buffers[b] = all.asSlice((long)b * SET_BYTES, SET_BYTES);
            }
            for (int i = 0; i < SETS; i++)
            {
                sets[i] = new ChunkSet(i, buffers[2 * i + MASTER_SIDE], buffers[2 * i + SLAVE_SIDE]);
            }
            if (scope == Scope.FULL && master.hasAllocationMap())
            {
                mapMaster();
            }
            if (useRing && partition.io().fd() >= 0 && Ring.unavailableReason() == null)
            {
                ring = Ring.create(RING_ENTRIES);
                ring.registerBuffers(buffers);
                poolFd = partition.io().fd();
            }
            done = true;
        }
        finally
        {
            if (!done)
            {
                close();
            }
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
        return verify(master, partition, scope, true);
    }

    /**
     * As {@link #verify(BlockDevice, Partition, Scope)}, reading into {@code memory}: {@link #BUFFER_BYTES} of native,
     * page-aligned memory the caller does not touch meanwhile (a replication job lends its idle read buffer).
     */
    public static VerifyResult verify(final BlockDevice master, final Partition partition, final Scope scope,
        final MemorySegment memory) throws IOException
    {
        return verify(master, partition, scope, memory, null);
    }

    /** As {@link #verify(BlockDevice, Partition, Scope, MemorySegment)}, telling {@code progress} (when not null) how far it got. */
    public static VerifyResult verify(final BlockDevice master, final Partition partition, final Scope scope,
        final MemorySegment memory, final DeviceCopy.Progress progress) throws IOException
    {
        if (memory == null || memory.byteSize() < BUFFER_BYTES || !memory.isNative() || memory.address() % Ring.BUFFER_ALIGNMENT_BYTES != 0)
        {
            throw new IllegalArgumentException("the verifier needs " + BUFFER_BYTES + " bytes of page-aligned native memory, not " +
                memory);
        }
        return verify(master, partition, scope, true, memory, progress);
    }

    /** As {@link #verify(BlockDevice, Partition, Scope)}; {@code useRing} false reads synchronously (tests of that path). */
    static VerifyResult verify(final BlockDevice master, final Partition partition, final Scope scope, final boolean useRing)
        throws IOException
    {
        return verify(master, partition, scope, useRing, null, null);
    }

    private static VerifyResult verify(final BlockDevice master, final Partition partition, final Scope scope, final boolean useRing,
        final MemorySegment memory, final DeviceCopy.Progress progress) throws IOException
    {
        try (Verifier verifier = new Verifier(master, partition, scope, useRing, memory, progress))
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
        try (Verifier verifier = new Verifier(master, partition, Scope.FULL, true, null, null))
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
        return verify(master, pool, name, null);
    }

    /** As {@link #verify(Path, Path, String)}, telling {@code progress} (when not null) how far it got as it goes. */
    public static VerifyResult verify(final Path master, final Path pool, final String name, final DeviceCopy.Progress progress)
        throws IOException
    {
        refuseSame(master, pool);
        try (BlockDevice masterDevice = openMaster(master);
             Pool opened = Pool.openReadOnly(pool);
             Partition partition = opened.viewPartition(name))
        {
            return verify(masterDevice, partition, Scope.FULL, true, null, progress);
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
     * Compares {@code [starts[i], ends[i])} for each i, in order: every set is filled with the next chunk
     * (its reads queued), then the sets are compared in turn, each refilled as soon as it is compared.
     */
    private void check(final long[] starts, final long[] ends) throws IOException
    {
        this.starts = starts;
        this.ends = ends;
        rangeIndex = 0;
        nextPosition = starts.length > 0 ? starts[0] : 0;
        long total = 0;
        for (int i = 0; i < starts.length; i++)
        {
            total += ends[i] - starts[i];
        }
        long compared = 0;
        long lastProgress = System.nanoTime();
        // Writes the partition has in flight land before its data is read.
        partition.drain();
        int queued = 0;
        while (queued < SETS && fill(sets[queued]))
        {
            queued++;
        }
        for (int next = 0; queued > 0; next = (next + 1) % SETS)
        {
            final ChunkSet set = sets[next];
            awaitReads(set);
            compare(set);
            compared += set.length;
            if (progress != null && System.nanoTime() - lastProgress >= DeviceCopy.Progress.INTERVAL_NANOS)
            {
                lastProgress = System.nanoTime();
                progress.onProgress(compared, total);
            }
            if (!fill(set))
            {
                queued--;
            }
        }
        if (progress != null)
        {
            progress.onProgress(compared, total);
        }
    }

    /**
     * Fills {@code set} with the next chunk of the ranges: its stored checksums, which of its blocks are
     * mapped and which hold master data, and its reads (queued on the ring, or done now without one).
     * False when every range is done.
     */
    private boolean fill(final ChunkSet set) throws IOException
    {
        while (rangeIndex < starts.length && nextPosition >= ends[rangeIndex])
        {
            rangeIndex++;
            nextPosition = rangeIndex < starts.length ? starts[rangeIndex] : 0;
        }
        if (rangeIndex >= starts.length)
        {
            return false;
        }
        final long position = nextPosition;
        final int length = (int)Math.min(SET_BYTES, ends[rangeIndex] - position);
        nextPosition = position + length;
        set.position = position;
        set.length = length;
        set.endOfRange = nextPosition >= ends[rangeIndex];
        set.pending = 0;
        partition.checksums(position, length, set.stored, set.storedHashes);
        fillSlave(set);
        if (scope == Scope.FULL)
        {
            fillMaster(set);
        }
        if (ring != null)
        {
            ring.submit();
        }
        return true;
    }

    /** The mapped pieces of the set's chunk, one device-contiguous read each; the mapped flags. */
    private void fillSlave(final ChunkSet set) throws IOException
    {
        if (ring == null)
        {
            partition.readUnchecked(set.position, set.slaveBuffer.asSlice(0, set.length), set.mapped);
            return;
        }
        final long end = set.position + set.length;
        long at = set.position;
        while (at < end)
        {
            partition.locate(at, end - at, location);
            final int from = (int)((at - set.position) / BLOCK);
            final int length = (int)location[1];
            final boolean mapped = location[0] >= 0;
            Arrays.fill(set.mapped, from, from + length / BLOCK, mapped);
            if (mapped)
            {
                queueRead(set, SLAVE_SIDE, poolFd, set.slaveBuffer.asSlice(at - set.position, length), length, location[0]);
            }
            at += length;
        }
    }

    /** One read from the chunk's first to its last block with master data (holes inside it read as zeros). */
    private void fillMaster(final ChunkSet set) throws IOException
    {
        final int blocks = set.length / BLOCK;
        final long position = set.position;
        long readStart = position;
        long readEnd = position + set.length;
        if (dataStart == null)
        {
            Arrays.fill(set.masterData, 0, blocks, true);
        }
        else
        {
            Arrays.fill(set.masterData, 0, blocks, false);
            final long end = readEnd;
            readStart = Long.MAX_VALUE;
            readEnd = 0;
            for (int i = firstDataEndingAfter(position); i < dataCount && dataStart[i] < end; i++)
            {
                final long from = Math.max(position, dataStart[i]);
                final long to = Math.min(end, dataEnd[i]);
                Arrays.fill(set.masterData, (int)((from - position) / BLOCK), (int)((to - position) / BLOCK), true);
                readStart = Math.min(readStart, from);
                readEnd = Math.max(readEnd, to);
            }
        }
        if (readStart >= readEnd)
        {
            return;
        }
        final MemorySegment target = set.masterBuffer.asSlice(readStart - position, readEnd - readStart);
        if (ring == null)
        {
            master.read(target, readStart);
            return;
        }
        queueRead(set, MASTER_SIDE, master.fd(), target, (int)(readEnd - readStart), readStart);
    }

    private void queueRead(final ChunkSet set, final int side, final int fd, final MemorySegment target,
        final int length, final long deviceOffset) throws IOException
    {
        final long userData = set.index | (long)side << 8 | (long)length << 16;
        while (!ring.prepareReadFixed(fd, false, target, length, deviceOffset, 2 * set.index + side, userData))
        {
            ring.submit();
        }
        set.pending++;
    }

    /** Waits until the set's reads are done; throws the first failed read of any set. */
    private void awaitReads(final ChunkSet set) throws IOException
    {
        while (set.pending > 0)
        {
            ring.submitAndWait(1);
            ring.reap(completions, RING_ENTRIES);
        }
        if (failedUserData >= 0)
        {
            final ChunkSet failed = sets[failedUserData & 0xff];
            final boolean slave = (failedUserData >>> 8 & 1) == SLAVE_SIDE;
            final String path = slave ? partition.io().path().toString() : master.path().toString();
            final String call = "read of " + (failedUserData >>> 16) + " bytes for logical offset " + failed.position +
                (slave ? " of partition '" + partition.name() + "'" : "");
            throw failedResult < 0 ? Errno.exception(call, path, -failedResult) :
                new IOException(path + ": " + call + " returned " + failedResult + " bytes (the device ended early?)");
        }
    }

    private void onCompletion(final long userData, final int result)
    {
        final ChunkSet set = sets[(int)(userData & 0xff)];
        set.pending--;
        if (result != (int)(userData >>> 16) && failedUserData < 0)
        {
            failedUserData = (int)userData;
            failedResult = result;
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
            Mismatch.Kind kind = null;
            if (set.mapped[b])
            {
                if (!slaveMatches(set, b, at))
                {
                    kind = Mismatch.Kind.SLAVE_CORRUPT;
                }
                else if (full && !(set.masterData[b] &&
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

    /** The slave's mapped block b against its stored record; an all-zero block has the zero block's. */
    private boolean slaveMatches(final ChunkSet set, final int b, final long at)
    {
        if (BlockHash.isZero(set.slaveBuffer, at))
        {
            return matchesStored(ZERO_BLOCK_CRC, ZERO_BLOCK_HASH, set.stored[b], set.storedHashes[b]);
        }
        return matchesStored(crcOf(set.slaveView, b), BlockHash.hash(set.slaveBuffer, at, hashWords), set.stored[b], set.storedHashes[b]);
    }

    /** The master's block b against its stored record; a block in a hole or all zeros is the zero block. */
    private boolean masterMatches(final ChunkSet set, final int b, final long at)
    {
        if (!set.masterData[b] || BlockHash.isZero(set.masterBuffer, at))
        {
            return matchesStored(ZERO_BLOCK_CRC, ZERO_BLOCK_HASH, set.stored[b], set.storedHashes[b]);
        }
        return matchesStored(crcOf(set.masterView, b), BlockHash.hash(set.masterBuffer, at, hashWords), set.stored[b], set.storedHashes[b]);
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
        return BlockHash.crc32c(crc, view, block * BLOCK);
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
        if (ring != null)
        {
            // Reads may still be in flight after a failure: wait for them before their buffers go.
            try
            {
                while (inFlight() > 0)
                {
                    ring.submitAndWait(1);
                    ring.reap(completions, RING_ENTRIES);
                }
            }
            catch (final IOException ignored)
            {
                // The ring's teardown cancels what is left.
            }
            ring.close();
            ring = null;
        }
        arena.close();
    }

    private int inFlight()
    {
        int n = 0;
        for (final ChunkSet set : sets)
        {
            n += set == null ? 0 : set.pending;
        }
        return n;
    }

    /** The one completion handler, allocated once. */
    private final class Completions implements CompletionHandler
    {
        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            Verifier.this.onCompletion(userData, result);
        }
    }
}
