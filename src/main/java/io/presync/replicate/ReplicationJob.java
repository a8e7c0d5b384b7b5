package io.presync.replicate;

import io.presync.RefusedException;
import io.presync.Threads;
import io.presync.btree.ExtentCursor;
import io.presync.btree.ExtentMap;
import io.presync.device.BlockDevice;
import io.presync.device.DeviceCopy;
import io.presync.device.OpenOptions;
import io.presync.ffi.Errno;
import io.presync.ffi.ErrnoException;
import io.presync.ffi.Libc;
import io.presync.forecast.HeatModel;
import io.presync.pool.MasterIdentity;
import io.presync.pool.BlockHash;
import io.presync.pool.Partition;
import io.presync.pool.PartitionInfo;
import io.presync.pool.PartitionState;
import io.presync.pool.RepairResult;
import io.presync.pool.Repairer;
import io.presync.pool.Verifier;
import io.presync.pool.WriteCompletionHandler;
import io.presync.pool.VerifyResult;
import io.presync.pool.Pool;
import io.presync.pool.Signatures;
import io.presync.stream.BlockTap;
import io.presync.stream.WriteEvent;
import io.presync.stream.WriteEventHandler;
import io.presync.stream.WriteLog;
import io.presync.stream.WriteOp;
import io.presync.tracking.DirtyRangeConsumer;
import io.presync.tracking.RegionOrder;
import io.presync.tracking.TrackingMap;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;
import io.presync.uring.SqeDescriptor;
import io.presync.uring.UringException;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.Agent;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * One replication of a master block device into a pool partition: one single-threaded duty cycle
 * ({@link Agent#doWork()}) that drives its own io_uring {@link Ring}.
 *
 * <h2>Phases ({@link #start})</h2>
 * <ol>
 *   <li>Tap the master ({@link BlockTap}) and append every event to the write log (sequence numbers
 *       continue the log's); the tap starts before T0 so every write completing after T0 is seen. The log, the
 *       tap, the job's ring and its registered buffers are opened on a thread of their own ({@link ParallelSetup})
 *       while the master and the pool are opened and checked; the job waits for the tap before T0 and for the
 *       ring before its first read of the master.</li>
 *   <li>History: {@code --history} (see {@link History}); heat for the copy order from it; then what the
 *       write log of earlier runs observed ({@link History#fromLog}: whole buckets inside the spans when a
 *       job was tapping, and their first-write rate as a floor of the buffer).</li>
 *   <li>Allocation map of the master ({@link MasterMap}) and its snapshot at T0.</li>
 *   <li>Plan ({@link Planner}) with the copy rate probed on these devices: the slower of the master's read
 *       rate and the pool's write rate (written into the pool's free space, see {@link RateProbe}); not probed
 *       when the growth bound does not depend on the horizon (no growth history: the conservative rule). As the
 *       copy runs, the horizon is refined from the rate achieved and the partition extended ahead of need
 *       when the growth bound of the longer horizon no longer fits (see {@code tick}).</li>
 *   <li>Allocate the partition before the first byte is copied (or resume the existing one of the same master).
 *       The tap's first flush barrier is requested meanwhile, so its marker thread is running by the time a
 *       consistent point needs one.</li>
 * </ol>
 *
 * <h2>Duty cycle ({@link #doWork})</h2>
 * Each cycle polls the tap (its per-CPU reader threads hand pages to the consumer through bounded
 * single-producer queues, so {@link BlockTap#poll} is already the bounded hand-off: no second ring
 * buffer), marks written ranges in the {@link TrackingMap}, reaps the ring's completions and applies
 * them, then fills free buffer slots: dirty ranges first (streaming never waits for the copy; only ranges
 * inside chunks whose bulk read is still to come wait for that read, which clears them), then
 * checksum comparisons, then the bulk copy of the snapshot's extents (cold regions first, hot last,
 * ascending within a region), whose neighbouring 1 MiB chunks of one kind merge into reads of up to
 * {@link #BULK_BYTES} ({@link WorkList}). Reads go through the ring into one registered buffer of
 * {@link #SLOTS} 1 MiB units, a read taking a run of them ({@link BufferUnits}); the partition's
 * write ({@link Partition#submitWrite}, which stores each block's CRC32C and hash) goes from the same
 * buffer through the pool's own ring, and the slot stays busy until it completes. A range is cleared in the tracking map only by a read submitted when
 * the tap's next sequence was past the write that dirtied it; ranges in flight never overlap, so two
 * reads of one range cannot complete out of order.
 *
 * <h2>Convergence</h2>
 * The replica is consistent when the bulk pass is done and the dirty set is empty with nothing in flight
 * and nothing left in the tap: it then equals the master up to {@link #consistentAtSeq()}. Nothing left
 * in the tap is proven by a flush barrier ({@link BlockTap#requestBarrier()}) requested in this run
 * having completed: every write completed before its request was handed out, even one still in a partly
 * filled kernel trace page or held by the tap's reorder window. {@code run(true, ...)}
 * ends at the first such point (reached once; under steady writes the dirty set refills right after), or
 * at its timeout with the state committed. The dirty set's trend over the last 5 s says whether the
 * writer dirties faster than the job copies ({@link #dirtyBacklogGrowing()}).
 *
 * <h2>Loss and resume</h2>
 * A LOST tap event queues a checksum comparison of the whole device: master blocks are read and their
 * CRC32C compared with the partition's stored CRCs and their bytes with the slave's (a CRC32C match
 * alone misses a rewritten ext4 superblock, whose own CRC32C makes every version's block CRC equal);
 * only differing blocks are rewritten. A resumed job
 * (the partition exists for this master) does the same for every range the partition already maps and
 * copies the rest, since writes made while no job was tapping are invisible otherwise. The partition
 * is committed every {@code commitIntervalNanos} and at the end; the job's state file (plan figures,
 * phase, consistent sequence) is written next to the write log after each commit.
 */
public final class ReplicationJob implements Agent, AutoCloseable
{
    /** Granularity of streaming reads, of the lag buckets and of the resume classification (copy or compare). */
    public static final int CHUNK_BYTES = 1 << 20;
    /**
     * Reads in flight at most, and 1 MiB units of the read buffer. A unit stays busy from its read until the pool
     * write of its data completes, so the bulk pass keeps {@code SLOTS / 4} 4 MiB requests between the master, the
     * job's hashing and the pool. 32 MiB: with 16 the bulk pass waited on a busy master or pool about a quarter of
     * the time with a core idle (perf, 8 GiB replicate on loop devices) and its copy phase took 1.26 s against
     * 1.11 s (medians of 5 interleaved runs, 3.4 GiB); 64 was no faster than 32.
     */
    public static final int SLOTS = 32;
    /**
     * Largest bulk read: neighbouring chunks of one kind merge into reads this long, since the devices pay per
     * request (a loop device's worker, the block layer) and copy several times faster in 4-8 MiB requests than
     * in 1 MiB ones. The read buffer stays {@link #SLOTS} chunks ({@link BufferUnits}). 8 MiB (two bulk reads in
     * flight) was slower than 4 MiB in the replicate bulk pass.
     */
    static final int BULK_BYTES = 4 << 20;
    /** The one registered read buffer: a unit of {@link #CHUNK_BYTES} per slot. */
    static final int BUFFER_BYTES = SLOTS * CHUNK_BYTES;
    public static final long REGION_BYTES = 64L << 20;
    public static final long MIN_MASTER_BYTES = 1L << 20;
    private static final int BLOCK = 4096;
    private static final int FREE = 0;
    private static final int COPY = 1;
    private static final int STREAM = 2;
    private static final int VERIFY = 3;
    private static final int LAG_CAPACITY = 1 << 16;
    private static final long BARRIER_REFRESH_MILLIS = 100;
    private static final long BARRIER_RETRY_MILLIS = 1000;
    /** Twice the tap's reorder window: how long a consistent point without a flush barrier waits after the bulk pass. */
    private static final long REORDER_WAIT_MILLIS = 20;
    private static final int LAG_BUCKETS = 1 << 12;
    private static final int POLL_LIMIT = 256;
    private static final long MAP_HEADROOM_BYTES = 1L << 20;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long RUN_RECORD_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Dirty-set samples, one a tick: the backlog grows when it rose over most of the last 5 s. */
    private static final int DIRTY_SAMPLES = 10;
    /** A projected transfer this much longer than the horizon (and 0.5 s) re-plans the buffer. */
    private static final double HORIZON_SLACK = 1.2;
    /** The recent copy rate is measured over this window (whole ticks). */
    private static final long RATE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int DONE_SAMPLES = 8;

    /** Settings of a job. */
    public static final class Options
    {
        public Path master;
        public Path pool;
        public String partition;
        public double confidence = 0.95;
        public long maxPartitionBytes;
        public Path history;
        public String historyFormat;
        public Path logDirectory;
        public long commitIntervalNanos = TimeUnit.SECONDS.toNanos(2);
        public int tapBufferKb = 4096;
        /** Pages each per-CPU tap reader may hand out before the job polls (0: the tap's default); tests make it tiny. */
        public int tapPagesInFlight;
        /** Tests of the fallback: the tap makes no flush barriers, as on a kernel without trace_marker_raw. */
        public boolean noTapFlushBarriers;
        /** Skip the rate probe (tests): use this rate instead when positive. */
        public double assumedRateBytesPerSecond;
        /** Baseline for benchmarks: bulk copy and re-copies in ascending address order instead of cold regions first. */
        public boolean lbaOrder;
        /** Baseline for benchmarks: track whole 1 MiB granules (no write-sized spans, no fine bitmaps). */
        public boolean coarseTracking;
        /** Learn history from the write log already in {@link #logDir()} too (a second run plans from what the first saw). */
        public boolean historyFromLog = true;
        /**
         * When positive, the bulk pass reads at most this many bytes per second (streaming is never held back), like
         * a resync rate limit on a shared link; the plan's copy rate is capped by it. The CLI's {@code --bulk-limit SIZE};
         * the default comes from -Dpresync.bulkLimitBytesPerSecond=N (benchmarks).
         */
        public double bulkLimitBytesPerSecond = Long.getLong("presync.bulkLimitBytesPerSecond", 0L);
        /**
         * Benchmarks: stream every dirty range at once, also those inside chunks the bulk pass has still to read
         * (which it then copies a second time). Off: such ranges wait for the bulk read, which clears them.
         */
        public boolean eagerStreaming;
        /** What the final verify at the first consistent point of {@code run(true, ...)} compares (see {@link FinalVerify}). */
        public FinalVerify finalVerify = FinalVerify.FULL;

        /** The partition name, defaulting to the master device's file name. */
        public String partitionName()
        {
            return partition != null ? partition : master.getFileName().toString();
        }

        /** The log directory, defaulting to /var/lib/presync/PARTITION. */
        public Path logDir()
        {
            return logDirectory != null ? logDirectory : Path.of("/var/lib/presync", partitionName());
        }
    }

    /**
     * The final verify of {@code presync replicate --until-synced}, run at the first consistent point with
     * the master quiet ({@link #report}).
     */
    public enum FinalVerify
    {
        /**
         * The stored checksums against the slave's data (bit rot, writes underneath Presync) and against the
         * master's (a write the replication missed); mismatches are repaired. The default: the tap is lossless
         * by design, but only this comparison proves it for this copy (it has caught a write the consistent
         * point missed), and a replica is trusted when it is proven.
         */
        FULL,
        /**
         * The stored checksums against the slave's data only; the master is not read, its equality rests on the
         * tap (lossless since T0, at a proven consistent point). Mismatches are repaired.
         */
        SLAVE,
        /** No final verify: the partition's state stays COPYING (only a passing verify sets SYNCED). */
        OFF
    }

    /** The final report (also the JSON of {@code presync replicate --json}). */
    public record Report(
        String partition, boolean resumed, Plan plan, long plannedPartitionBytes, long baseBytes, long predictedGrowthBytes,
        long growthUpperBytes, double confidence, long actualGrowthBytes, long usedBytes, int extensions,
        long copiedBytes, long streamedBytes, long recopiedBytes, long verifiedBytes, double durationSeconds,
        double lagMillisP50, double lagMillisP99, double lagMillisP999, String verify, long consistentAtSeq,
        long lostReports, long tapEvents,
        boolean consistentReached, double secondsToConsistent, boolean timedOut, double horizonSeconds,
        double measuredCopyBytesPerSecond, java.util.List<String> extensionReasons, boolean dirtyBacklogGrowing,
        long dirtyBytes, long peakDirtyBytes, double secondsToSynced)
    {
        Report withTimedOut()
        {
            return new Report(partition, resumed, plan, plannedPartitionBytes, baseBytes, predictedGrowthBytes, growthUpperBytes,
                confidence, actualGrowthBytes, usedBytes, extensions, copiedBytes, streamedBytes, recopiedBytes, verifiedBytes,
                durationSeconds, lagMillisP50, lagMillisP99, lagMillisP999, verify, consistentAtSeq, lostReports, tapEvents,
                consistentReached, secondsToConsistent, true, horizonSeconds, measuredCopyBytesPerSecond, extensionReasons,
                dirtyBacklogGrowing, dirtyBytes, peakDirtyBytes, secondsToSynced);
        }
    }

    /**
     * Called at points of the job a crash test wants to kill it at ("plan", "commit": right after a partition
     * commit, which carries the job state); null in production.
     */
    static volatile java.util.function.Consumer<String> phaseHook;

    private final Options options;
    private final String name;
    private final long startNanos = System.nanoTime();
    private final long epochOffsetNanos = epochOffset();
    private BlockDevice master;
    private Pool pool;
    private Partition partition;
    private ParallelSetup setup;
    private BlockTap tap;
    private WriteLog log;
    private Ring ring;
    private Arena arena;
    private MemorySegment[] buffers;
    private TrackingMap tracking;
    private HeatModel heat;
    private Plan plan;
    private boolean resumed;
    private long sizeBytes;

    // Work list of the bulk pass: chunks in visiting order, COPY or VERIFY.
    private final WorkList work;
    private int workCursor;
    // The work items of region r are [regionFirstWork[r], regionEndWork[r]), ascending by address and disjoint:
    // they tell whether a dirty range lies in a chunk whose bulk read is still to come (index >= workCursor).
    private int[] regionFirstWork = new int[0];
    private int[] regionEndWork = new int[0];
    // Checksum comparisons queued by a LOST event: [verifyCursor, sizeBytes).
    private long verifyCursor = -1;

    private final int[] slotKind = new int[SLOTS];
    private final long[] slotOffset = new long[SLOTS];
    private final int[] slotLength = new int[SLOTS];
    private final long[] slotSeq = new long[SLOTS];
    private final int[] slotResult = new int[SLOTS];
    private final boolean[] slotDone = new boolean[SLOTS];
    // Pool writes of a slot's data still in flight: the slot (its buffer and its range) stays busy until 0.
    private final int[] slotWrites = new int[SLOTS];
    private final boolean[] slotApplying = new boolean[SLOTS];
    // The first of the run of buffer units a slot reads into (see BufferUnits; unitsOf its length).
    private final int[] slotUnit = new int[SLOTS];
    private final BufferUnits units = new BufferUnits(SLOTS);
    // unitTails[u]: the buffer from unit u to its end (a read's buffer starts there); view: the whole buffer for CRC32C.
    private MemorySegment[] unitTails;
    private java.nio.ByteBuffer view;
    // Slots busy (reading the master or writing the partition), and those of them reading.
    private int inFlight;
    private int readsInFlight;

    private final long[] batchStart = new long[64];
    private final long[] batchEnd = new long[64];
    private int batchCount;
    // Counting pass of tick(): dirty bytes the bulk pass will still read, not streamed (see onDirtyRange).
    private boolean countingDeferred;
    private long deferredBytes;
    private final DirtyRangeConsumer batchConsumer = this::onDirtyRange;
    private final CompletionHandler completions = this::onCompletion;
    private final WriteCompletionHandler writeCompletions = this::onWriteCompleted;
    private final WriteEventHandler events = this::onEvent;
    private final RegionOrder order = this::rankOf;
    private final CRC32C crc = new CRC32C();
    private final long[] hashWords = new long[BlockHash.BLOCK_LONGS];
    private final int[] stored = new int[BULK_BYTES / BLOCK];
    private final long[] storedHashes = new long[BULK_BYTES / BLOCK];

    private final Histogram lag = new Histogram(TimeUnit.HOURS.toNanos(1), 3);
    private final long[] lagSeq = new long[LAG_CAPACITY];
    private final long[] lagTime = new long[LAG_CAPACITY];
    private final long[] lagStart = new long[LAG_CAPACITY];
    private final long[] lagEnd = new long[LAG_CAPACITY];
    // The window's live entries, also on one list per bucket of the 1 MiB chunk their start lies in, so that an apply
    // visits only the entries that can lie inside it: a scan of the whole window per apply cost O(window) and, with
    // deferred writes waiting for the bulk pass (tens of thousands under a random-write load), starved the copy.
    private final int[] lagNext = new int[LAG_CAPACITY];
    private final int[] lagBucketHead = filledWith(new int[LAG_BUCKETS], -1);
    private long lagHead;
    private long lagTail;

    private long copiedBytes;
    private long streamedBytes;
    private long recopiedBytes;
    private long verifiedBytes;
    private long lostReports;
    private int extensions;
    private long lastCommitNanos;
    private long consistentAtSeq = -1;
    private long bulkDoneNanos;
    private volatile boolean stopRequested;
    private boolean syncedNow;
    // Benchmark phase marks (scripts/bench replicate): System.nanoTime() at the end of each step, printed to
    // stderr by close() when -Dpresync.phases=true, so a whole-process time can be split without a profiler.
    // The first nine are the phases scripts/bench replicate reports; the rest split the job's own set-up and
    // wind-down finer (the set-up thread's marks are ParallelSetup.STEPS).
    private static final String[] PHASES = {"tap", "history", "map", "plan", "allocate", "copied", "synced", "committed", "verified",
        "open.master", "open.pool", "wait.tap", "allocate.reserved", "allocate.partition", "wait.ring", "first.read",
        "barrier.completed", "drained", "report", "close.tap", "close.rest"};
    private static final int OPEN_MASTER = 9;
    private static final int OPEN_POOL = 10;
    private static final int WAIT_TAP = 11;
    private static final int ALLOCATE_RESERVED = 12;
    private static final int ALLOCATE_PARTITION = 13;
    private static final int WAIT_RING = 14;
    private static final int FIRST_READ = 15;
    private static final int BARRIER_COMPLETED = 16;
    private static final int DRAINED = 17;
    private static final int REPORT = 18;
    private static final int CLOSE_TAP = 19;
    private static final int CLOSE_REST = 20;
    private final long[] phaseNanos = new long[PHASES.length];

    // Horizon refinement (see tick): the growth model, the current horizon and what the copy achieves.
    private Planner.Growth growth;
    private double horizonSeconds;
    private long bulkTotalBytes;
    private long bulkStartNanos;
    private double measuredRate;
    private int aheadExtensions;
    private final java.util.List<String> extensionReasons = new java.util.ArrayList<>();
    private long nextTickNanos;
    private final long[] doneSamples = new long[DONE_SAMPLES];
    private int tickCount;
    private int slowTicks;
    private long nextRunRecordNanos;
    private long runStartEpochNanos;
    // Convergence: the first consistent point of the current run() and the dirty backlog's trend.
    private boolean consistentReached;
    private long consistentNanos;
    private long runStartNanos = System.nanoTime();
    // The tap's flush barrier (see tapFlushed): the one awaited, when it was requested, and the request
    // time of the latest completed one (valid only when barrierHorizonValid).
    private long barrierPending;
    private long barrierRequestedNanos;
    private long barrierHorizonNanos;
    private boolean barrierHorizonValid;
    private boolean barrierWarned;
    private final long[] dirtySamples = new long[DIRTY_SAMPLES];
    private int dirtySampleCount;
    private long peakDirtyBytes;

    private ReplicationJob(final Options options)
    {
        this.options = options;
        this.name = options.partitionName();
        // A rate-limited bulk pass is paced a read at a time: in chunks, as before there were bulk reads, since a
        // read of several chunks would be a burst over the limit (and its pace not the one the limit sets).
        this.work = new WorkList(options.bulkLimitBytesPerSecond > 0 ? CHUNK_BYTES : BULK_BYTES);
    }

    /** Checks the devices, starts the tap, maps and snapshots the master, plans and allocates. */
    public static ReplicationJob start(final Options options) throws IOException
    {
        final ReplicationJob job = new ReplicationJob(options);
        try
        {
            job.open();
            return job;
        }
        catch (final IOException ex)
        {
            final IOException explained = job.explain(ex);
            job.close();
            throw explained;
        }
        catch (final RuntimeException ex)
        {
            job.close();
            throw ex;
        }
    }

    /**
     * Links the native calls a job makes (libc's system-call handle, which opening the master needs first,
     * then the ring's set-up, submit and teardown) without making any: {@code presync replicate} runs this on
     * a second thread from its first instruction, so that the JDK spinning up downcall handles (tens of
     * milliseconds, which no AOT cache keeps) overlaps the JVM's and picocli's start-up instead of delaying
     * the job's first steps. Idempotent and thread-safe; never throws.
     */
    public static void linkNativeCalls()
    {
        // Before Ring is touched: its class initialisation is not needed for the master's first stat.
        Libc.link();
        Ring.linkNativeCalls(Ring.DEFAULT_OPTIONS);
    }

    /** Only the plan: the same checks, map and probe as {@link #start}, without tap or allocation. */
    public static Plan plan(final Options options) throws IOException
    {
        try (BlockDevice master = openMaster(options.master); Ring ring = Ring.create(64))
        {
            // Held open (exclusively) through the write probe: nobody allocates the free units it writes meanwhile.
            try (Pool pool = openPool(options.pool, master))
            {
                final long unitBytes = pool.info().unitBytes();
                final HeatModel heat = new HeatModel(master.sizeBytes(), REGION_BYTES, TimeUnit.HOURS.toNanos(1));
                final History history = history(options, heat);
                try (ExtentMap map = MasterMap.build(master, ring))
                {
                    final CopyRate rate = probe(options, master, ring, map, pool);
                    return Planner.plan(Planner.Growth.of(history.newBytes(), history.intervalSeconds(), options.confidence,
                            map.totalBytes(), unitBytes).withFloor(history.observedBytesPerSecond()), map.totalBytes(), master.sizeBytes(),
                        rate, options.maxPartitionBytes, unitBytes)
                        .withInputs(rate, history);
                }
            }
        }
    }

    /** {@code --history FILE} followed by what the job's own write log observed (see {@link History#fromLog}). */
    static History history(final Options options, final HeatModel heat) throws IOException
    {
        final History file = options.history == null ? History.none() : History.load(options.history, options.historyFormat, heat);
        final Path logDir = options.logDir();
        if (!options.historyFromLog || options.history != null && Files.exists(logDir) && Files.isSameFile(options.history, logDir))
        {
            return file;
        }
        final History log = History.fromLog(logDir, file.newBytes().length > 0 ? file.intervalSeconds() : History.LOG_INTERVAL_SECONDS);
        return History.combine(file, log);
    }

    /**
     * The copy rate: the minimum of the master's read rate and the pool's write rate, both probed
     * ({@link RateProbe}); the pool's is probed in its free space, which {@code pool} describes and, open
     * for writing (exclusively), keeps free meanwhile.
     */
    static CopyRate probe(final Options options, final BlockDevice master, final Ring ring, final ExtentMap data, final Pool pool)
        throws IOException
    {
        if (options.assumedRateBytesPerSecond > 0)
        {
            return CopyRate.given(options.assumedRateBytesPerSecond);
        }
        final double read = RateProbe.measure(master, ring, data);
        final long[] range = RateProbe.freeRange(pool);
        if (range == null)
        {
            return CopyRate.probed(read, Double.NaN, "the pool has less than " + (RateProbe.MIN_WRITE_PROBE_BYTES >> 20) +
                " MiB of free space to probe").cappedAt(options.bulkLimitBytesPerSecond);
        }
        try
        {
            return CopyRate.probed(read, RateProbe.measureWrite(options.pool, range, ring), null).cappedAt(options.bulkLimitBytesPerSecond);
        }
        catch (final IOException ex)
        {
            // A thin pool whose storage is (nearly) full: the probe's writes are given back already, and
            // the allocation that follows says clearly that the storage is full if the partition does not fit.
            if (errnoOf(ex) != Errno.ENOSPC && errnoOf(ex) != Errno.EDQUOT)
            {
                throw ex;
            }
            return CopyRate.probed(read, Double.NaN, "the storage below the pool had no room for the write probe")
                .cappedAt(options.bulkLimitBytesPerSecond);
        }
    }

    static BlockDevice openMaster(final Path path) throws IOException
    {
        final BlockDevice master = BlockDevice.open(path, OpenOptions.forReading());
        if (master.sizeBytes() < MIN_MASTER_BYTES || master.sizeBytes() % BLOCK != 0)
        {
            final long size = master.sizeBytes();
            master.close();
            throw new RefusedException("master " + path + " has " + size + " bytes; replicate a block device of at least 1 MiB " +
                "whose size is a multiple of 4 KiB");
        }
        return master;
    }

    static Pool openPool(final Path path, final BlockDevice master) throws IOException
    {
        final long poolDeviceBytes;
        try (BlockDevice poolDevice = BlockDevice.open(path, OpenOptions.forReading()))
        {
            if (BlockDevice.overlap(master, poolDevice))
            {
                throw new RefusedException("the pool " + path + " is the master " + master.path() + " or shares storage with it; " +
                    "give a separate pool device");
            }
            poolDeviceBytes = poolDevice.sizeBytes();
        }
        try
        {
            return Pool.open(path);
        }
        catch (final RefusedException ex)
        {
            final var found = Signatures.detect(path);
            if (!found.isEmpty() && !found.get(0).name().contains("presync"))
            {
                throw new RefusedException(path + " holds " + found.get(0).description() + ", not a Presync pool; give a pool " +
                    "device prepared with 'presync pool create' (which refuses to overwrite data unless forced)", ex);
            }
            throw ex;
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            // Reads of the superblocks run past the end: the device lost its capacity (unplugged, or a loop
            // device whose backing file was cut), which the read errors alone do not say.
            if (poolDeviceBytes < MIN_MASTER_BYTES)
            {
                throw new RefusedException("the pool " + path + " has only " + poolDeviceBytes + " bytes, too few to hold its " +
                    "Presync pool, so it went away or shrank; reattach the pool's storage and run the same command again", ex);
            }
            throw ex;
        }
    }

    private void open() throws IOException
    {
        // The write log, the tap, the ring and its buffers need neither the checks below nor the plan: they are
        // opened on a thread of their own meanwhile (ParallelSetup), and waited for only where they are needed.
        final BlockTap.Options tapOptions = new BlockTap.Options().bufferSizeKb(options.tapBufferKb);
        tapOptions.flushBarriers(!options.noTapFlushBarriers);
        if (options.tapPagesInFlight > 0)
        {
            tapOptions.pagesInFlight(options.tapPagesInFlight);
        }
        setup = ParallelSetup.start(options.master, options.logDir(), tapOptions, BUFFER_BYTES);
        // No system call in it: built while the start-up's link thread may still be linking the one the master's
        // open needs (see linkNativeCalls).
        tracking = options.coarseTracking ?
            new TrackingMap(new TrackingMap.Context().coarseSpans(false).promoteAfterWrites(0)) : new TrackingMap();
        master = openMaster(options.master);
        sizeBytes = master.sizeBytes();
        mark(OPEN_MASTER);
        pool = openPool(options.pool, master);
        mark(OPEN_POOL);
        heat = new HeatModel(sizeBytes, REGION_BYTES, TimeUnit.MINUTES.toNanos(10));
        // 1. History (and heat from it), read once the log is open (which starts a segment and applies the
        // retention), while the set-up thread is still opening the tap: the history needs the log, not the tap.
        setup.awaitLog();
        final History history = history(options, heat);
        // 2. Tap before T0, with the log's sequence numbers continued.
        setup.awaitTap();
        log = setup.log();
        tap = setup.tap();
        mark(WAIT_TAP);
        runStartEpochNanos = epochOffsetNanos + System.nanoTime();
        phase(0);
        // This run's tapping span starts after the history is read: the log's earlier runs are the history.
        History.recordRun(options.logDir(), runStartEpochNanos, runStartEpochNanos, true);
        phase(1);
        // 3. Allocation map and its snapshot at T0 (through the ring only when the master has no allocation map).
        final ExtentMap live = MasterMap.build(master, master.hasAllocationMap() ? null : ring());
        final ExtentMap snapshot = live.snapshotView();
        phase(2);
        try
        {
            // 4. Plan.
            hook("plan");
            growth = Planner.Growth.of(history.newBytes(), history.intervalSeconds(), options.confidence, snapshot.totalBytes(),
                pool.info().unitBytes()).withFloor(history.observedBytesPerSecond());
            // The probe reads and writes for a while; without a growth model the buffer does not depend on the rate.
            final CopyRate rate = growth.dependsOnHorizon() || options.assumedRateBytesPerSecond > 0 ?
                probe(options, master, options.assumedRateBytesPerSecond > 0 ? null : ring(), snapshot, pool) : CopyRate.notNeeded();
            plan = Planner.plan(growth, snapshot.totalBytes(), sizeBytes, rate, options.maxPartitionBytes,
                pool.info().unitBytes()).withInputs(rate, history);
            horizonSeconds = plan.horizonSeconds();
            phase(3);
            // The tap's first flush barrier starts its marker thread (and links the affinity calls) while the
            // partition is reserved, so the barrier that proves the first consistent point costs only its markers.
            // Its number is not awaited: only a barrier requested at a consistent point counts (see tapFlushed).
            tap.requestBarrier();
            // 5. Allocate before the first byte is copied, or resume.
            final java.util.Optional<PartitionInfo> existing = pool.partition(name);
            if (existing.isPresent())
            {
                if (!MasterIdentity.matches(master.path(), sizeBytes, existing.get().master()))
                {
                    throw new RefusedException("pool " + options.pool + " already has a partition '" + name + "' of another master; " +
                        "pick another --partition or delete that one");
                }
                resumed = true;
                pool.setState(name, PartitionState.COPYING);
                final Properties state = readState();
                if (state != null)
                {
                    plan = restorePlan(state, plan);
                }
            }
            else
            {
                pool.allocate(name, MasterIdentity.of(setup.identityKey(), sizeBytes), plan.partitionBytes());
            }
            mark(ALLOCATE_RESERVED);
            // A restored plan keeps this run's probe figures and history split.
            plan = plan.withInputs(rate, history);
            partition = pool.openPartition(name);
            buildWorkList(snapshot);
            mark(ALLOCATE_PARTITION);
        }
        finally
        {
            snapshot.close();
            live.close();
        }
        // The same buffers feed the partition's own ring: a slot's data is written from where it was read.
        ring();
        partition.registerBuffers(buffers);
        partition.completionHandler(writeCompletions);
        lastCommitNanos = System.nanoTime();
        if (!resumed)
        {
            writeState("copy");
        }
        bulkTotalBytes = work.totalBytes();
        phase(4);
    }

    /** The job's ring, with the buffers registered: waits for the set-up thread the first time (see {@link ParallelSetup}). */
    private Ring ring() throws IOException
    {
        if (ring == null)
        {
            setup.awaitRing();
            ring = setup.ring();
            arena = setup.arena();
            buffers = setup.buffers();
            unitTails = new MemorySegment[SLOTS];
            for (int u = 0; u < SLOTS; u++)
            {
                unitTails[u] = buffers[0].asSlice((long)u * CHUNK_BYTES);
            }
            view = buffers[0].asByteBuffer();
            mark(WAIT_RING);
        }
        return ring;
    }

    private void phase(final int index)
    {
        phaseNanos[index] = System.nanoTime();
    }

    /** A finer mark: the first time only (a step that may repeat keeps its first end). */
    private void mark(final int index)
    {
        if (phaseNanos[index] == 0)
        {
            phaseNanos[index] = System.nanoTime();
        }
    }

    private static void hook(final String phase)
    {
        final java.util.function.Consumer<String> h = phaseHook;
        if (h != null)
        {
            h.accept(phase);
        }
    }

    private static long epochOffset()
    {
        final java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
    }

    /** Cold regions first, hot last; within a region ascending. On resume, mapped chunks are compared, not copied. */
    private void buildWorkList(final ExtentMap snapshot)
    {
        final ExtentMap ranges = ExtentMap.inMemory();
        try
        {
            final ExtentCursor c = snapshot.cursor(0);
            while (c.next())
            {
                ranges.insert(c.start(), c.end(), 0);
            }
            if (resumed)
            {
                // Ranges the slave holds but the master no longer does (discarded while untapped) are compared too.
                final ExtentCursor m = partition.mappedExtents();
                while (m.next())
                {
                    ranges.insert(m.start(), m.end(), 0);
                }
            }
            final int[] regions = new int[heat.regionCount()];
            heat.coldFirst(System.nanoTime(), regions);
            if (options.lbaOrder)
            {
                java.util.Arrays.setAll(regions, r -> r);
            }
            regionFirstWork = new int[regions.length];
            regionEndWork = new int[regions.length];
            for (final int region : regions)
            {
                // Items never span regions: onDirtyRange looks for them among their region's.
                this.work.seal();
                regionFirstWork[region] = this.work.count;
                final long regionStart = region * REGION_BYTES;
                final long regionEnd = Math.min(sizeBytes, regionStart + REGION_BYTES);
                ranges.forEachIntersecting(regionStart, regionEnd, (start, end, payload) ->
                {
                    for (long at = start; at < end; at += CHUNK_BYTES)
                    {
                        final long chunkEnd = Math.min(end, at + CHUNK_BYTES);
                        final boolean onSlave = resumed && partition.mappedBytes(at, chunkEnd) == chunkEnd - at;
                        this.work.add(at, chunkEnd, onSlave ? VERIFY : COPY);
                    }
                });
                regionEndWork[region] = this.work.count;
            }
        }
        finally
        {
            ranges.close();
        }
    }

    private int rankOf(final long granuleIndex)
    {
        if (options.lbaOrder)
        {
            return 0;
        }
        final int region = heat.regionOf(Math.min(sizeBytes - 1, granuleIndex * tracking.granuleBytes()));
        return (int)Math.min(Integer.MAX_VALUE, heat.heat(region, System.nanoTime()) * 1000);
    }

    @Override
    public String roleName()
    {
        return "presync-replicate-" + name;
    }

    /** One duty cycle; returns the amount of work done (0 when idle). */
    @Override
    public int doWork() throws IOException
    {
        final int polled = tap.poll(events, POLL_LIMIT);
        int work = polled;
        if (readsInFlight > 0)
        {
            work += ring.reap(completions, SLOTS);
            for (int slot = 0; slot < SLOTS; slot++)
            {
                if (slotDone[slot])
                {
                    slotDone[slot] = false;
                    apply(slot);
                    work++;
                }
            }
        }
        work += partition.poll();
        work += fill();
        if (readsInFlight > 0)
        {
            ring.submit();
        }
        final long now = System.nanoTime();
        if (now - lastCommitNanos >= options.commitIntervalNanos)
        {
            commit(bulkDone() ? "stream" : "copy");
        }
        if (now >= nextTickNanos)
        {
            tick(now);
        }
        // Consistent only with nothing dirty or in flight, after a poll that left nothing ready in the tap,
        // and once a flush barrier requested in this run has completed (see tapFlushed).
        syncedNow = false;
        if (bulkDone() && inFlight == 0 && tracking.dirtyBytes() == 0 && polled < POLL_LIMIT)
        {
            if (bulkDoneNanos == 0)
            {
                bulkDoneNanos = now;
                phaseNanos[5] = now;
            }
            if (tapFlushed(now))
            {
                consistentAtSeq = tap.nextSequence() - 1;
                syncedNow = true;
            }
        }
        if (!consistentReached && synced())
        {
            consistentReached = true;
            consistentNanos = now;
        }
        return work;
    }

    /**
     * Twice a second: samples the dirty backlog, refines the horizon from the copy rate achieved, and
     * records the tapping span for the history a later run reads from the log.
     * <p>
     * The plan's horizon came from a probe; the copy also pays for CRC32C, the partition's metadata and
     * the streaming it does meanwhile. When the measured copy rate (the faster of the rate since the bulk
     * pass began and the last second's, so neither warm-up nor one slow second alone counts) says in two
     * successive ticks that the transfer (the rest of the bulk pass and the dirty backlog) ends later than
     * the horizon by more than {@value #HORIZON_SLACK}x, the horizon moves there and the growth bound is recomputed for it; when
     * base plus the new bound no longer fits, the partition is extended now, ahead of need (at most to
     * {@code --max-partition} or the master's size), rather than when a write finds it full.
     */
    private void tick(final long now) throws IOException
    {
        nextTickNanos = now + TICK_NANOS;
        peakDirtyBytes = Math.max(peakDirtyBytes, tracking.dirtyBytes());
        // Ranges left to the bulk pass are neither a streaming backlog nor work beyond the bulk pass's rest.
        deferredBytes = 0;
        if (!options.eagerStreaming && workCursor < work.count && tracking.dirtyBytes() > 0)
        {
            countingDeferred = true;
            try
            {
                tracking.forEachDirty(batchConsumer);
            }
            finally
            {
                countingDeferred = false;
            }
        }
        final long dirty = tracking.dirtyBytes() - deferredBytes;
        dirtySamples[dirtySampleCount++ % DIRTY_SAMPLES] = dirty;
        if (now >= nextRunRecordNanos)
        {
            nextRunRecordNanos = now + RUN_RECORD_NANOS;
            History.recordRun(options.logDir(), runStartEpochNanos, epochOffsetNanos + now, false);
        }
        if (bulkStartNanos == 0)
        {
            // The first duty cycle: the bulk pass starts now (its first reads were submitted).
            bulkStartNanos = now;
            mark(FIRST_READ);
            return;
        }
        if (bulkStartNanos == 0 || bulkDone() || now - bulkStartNanos < TICK_NANOS)
        {
            return;
        }
        final double elapsed = (now - bulkStartNanos) / 1e9;
        final long done = copiedBytes + verifiedBytes;
        final int window = (int)(RATE_WINDOW_NANOS / TICK_NANOS);
        final long doneBefore = doneSamples[(tickCount + DONE_SAMPLES - window) % DONE_SAMPLES];
        doneSamples[tickCount++ % DONE_SAMPLES] = done;
        // The faster of the rate since the start (which pays for warm-up) and the last second's (noisy):
        // only a copy that both say is slow moves the horizon.
        measuredRate = Math.max(done / elapsed, tickCount > window ? (done - doneBefore) / (RATE_WINDOW_NANOS / 1e9) : 0);
        if (done < 4L * CHUNK_BYTES || measuredRate <= 0 || now - bulkStartNanos < RATE_WINDOW_NANOS)
        {
            return;
        }
        if (!growth.dependsOnHorizon())
        {
            // The conservative rule's buffer (no growth history) ignores the horizon, and the plan has none
            // (NaN): a later transfer changes nothing. Comparing with NaN used to count every tick as slow.
            return;
        }
        final long remaining = Math.max(0, bulkTotalBytes - done) + (verifyCursor >= 0 ? sizeBytes - verifyCursor : 0) + dirty;
        final double projected = elapsed + remaining / measuredRate;
        if (projected <= horizonSeconds * HORIZON_SLACK || projected <= horizonSeconds + 0.5)
        {
            slowTicks = 0;
            return;
        }
        if (++slowTicks < 2)
        {
            return;
        }
        final double before = horizonSeconds;
        final long boundBefore = (long)growth.upper;
        horizonSeconds = projected;
        growth.evaluate(horizonSeconds);
        final long unit = pool.info().unitBytes();
        // The planner's own rule, base + bound: an unchanged bound asks for nothing (with headroom added here
        // that the plan never had, every refinement extended the partition by 2 MiB). Writes that need more
        // keep MAP_HEADROOM_BYTES free through the by-need path in write().
        long target = (long)Math.ceil(plan.baseBytes() + growth.upper);
        if (options.maxPartitionBytes > 0)
        {
            target = Math.min(target, options.maxPartitionBytes);
        }
        target = Math.min(target, sizeBytes);
        final long capacity = partition.usedBytes() + partition.freeDataBytes();
        if (target <= capacity)
        {
            return;
        }
        final long grow = (target - capacity + unit - 1) / unit * unit;
        final String reason = String.format(Locale.ROOT,
            "ahead of need: copy rate %.0f MiB/s measured (planned %.0f MiB/s), horizon %.1f s -> %.1f s, growth bound %d -> %d MiB, +%d MiB",
            measuredRate / (1 << 20), plan.rateBytesPerSecond() / (1 << 20), before, horizonSeconds, boundBefore >> 20,
            (long)growth.upper >> 20, grow >> 20);
        try
        {
            pool.extend(name, grow);
        }
        catch (final RefusedException ex)
        {
            // The pool lacks the space now; a write that really needs it stops the job with the clear error.
            extensionReasons.add("not extended " + reason.substring("ahead of need".length()) + ": " + ex.getMessage());
            return;
        }
        catch (final IOException ex)
        {
            // The storage below the pool is full (ENOSPC at the reservation): a speculative extension must
            // not stop the job; a write that really needs the space stops it with the clear error.
            if (errnoOf(ex) != Errno.ENOSPC && errnoOf(ex) != Errno.EDQUOT)
            {
                throw ex;
            }
            extensionReasons.add("not extended " + reason.substring("ahead of need".length()) + ": " + ex.getMessage());
            return;
        }
        extensions++;
        aheadExtensions++;
        extensionReasons.add(reason);
    }

    /** Whether the dirty set grew over most of the last 5 s: the writer dirties faster than the job copies. */
    public boolean dirtyBacklogGrowing()
    {
        return backlogGrowing(dirtySamples, dirtySampleCount);
    }

    /**
     * Over the last {@code samples.length} samples of a ring ({@code count} written so far): rose in at least
     * two thirds of the steps and by more than one chunk in all. Fewer samples than that say nothing.
     */
    static boolean backlogGrowing(final long[] samples, final int count)
    {
        final int n = samples.length;
        if (count < n)
        {
            return false;
        }
        int rises = 0;
        for (int i = 1; i < n; i++)
        {
            final long previous = samples[(count - n + i - 1) % n];
            final long current = samples[(count - n + i) % n];
            rises += current > previous ? 1 : 0;
        }
        final long oldest = samples[count % n];
        final long newest = samples[(count - 1) % n];
        return rises >= n * 2 / 3 && newest > oldest + CHUNK_BYTES;
    }

    /** Bytes per second the dirty set grew over the last 5 s (negative when it shrank). */
    private double dirtyGrowthRate()
    {
        if (dirtySampleCount < DIRTY_SAMPLES)
        {
            return 0;
        }
        final long oldest = dirtySamples[dirtySampleCount % DIRTY_SAMPLES];
        final long newest = dirtySamples[(dirtySampleCount - 1) % DIRTY_SAMPLES];
        return (newest - oldest) / ((DIRTY_SAMPLES - 1) * TICK_NANOS / 1e9);
    }

    /**
     * True when a flush barrier of the tap requested in this run has completed: every write the master
     * completed before that request has been handed out, so with the dirty set empty and nothing in
     * flight it is on the partition. Without it, a write completing just before a consistent point (an
     * unmount's last superblock write) may still sit in a partly filled kernel page, with a reader
     * thread or in the tap's reorder window (10 ms when the other CPUs are quiet), and the point would
     * be declared without it.
     * <p>
     * A barrier is requested when the job is otherwise consistent and none is awaited; it completes in
     * milliseconds (the marker thread's visits to each CPU) and stays valid after more writes came in:
     * the next time the dirty set is empty, everything before its request and everything handed out
     * since is on the partition. So a steady writer does not starve convergence, which a gate on empty
     * kernel buffers did. A fresh barrier is asked for every {@value #BARRIER_REFRESH_MILLIS} ms while
     * consistent, so the horizon keeps up; one not complete after {@value #BARRIER_RETRY_MILLIS} ms (its
     * marker lost in an overrun) is superseded by a new one. When the tap cannot make barriers (no
     * trace_marker_raw, CPU affinity refused), one warning line says so and consistency falls back to
     * the poll alone.
     */
    private boolean tapFlushed(final long now)
    {
        if (barrierPending != 0 && tap.barrierCompleted() >= barrierPending)
        {
            barrierHorizonNanos = barrierRequestedNanos;
            barrierHorizonValid = barrierRequestedNanos - runStartNanos >= 0;
            barrierPending = 0;
            mark(BARRIER_COMPLETED);
        }
        final boolean flushed = barrierHorizonValid;
        final boolean request = barrierPending == 0 ?
            !flushed || now - barrierHorizonNanos >= TimeUnit.MILLISECONDS.toNanos(BARRIER_REFRESH_MILLIS) :
            now - barrierRequestedNanos >= TimeUnit.MILLISECONDS.toNanos(BARRIER_RETRY_MILLIS);
        if (request && tap.barrierUnavailableReason() == null)
        {
            final long barrier = tap.requestBarrier();
            if (barrier != 0)
            {
                barrierPending = barrier;
                barrierRequestedNanos = now;
                return flushed;
            }
        }
        if (tap.barrierUnavailableReason() != null)
        {
            if (!barrierWarned)
            {
                barrierWarned = true;
                System.err.println("presync: warning: " + tap.barrierUnavailableReason() +
                    "; a consistent point is declared after a poll of the tap alone and may miss a write completed just before it");
            }
            return true;
        }
        return flushed;
    }

    private boolean bulkDone()
    {
        return workCursor >= work.count && verifyCursor < 0;
    }

    /**
     * True when the copy is done and nothing is dirty or in flight: the partition equals the master up
     * to every write the tap has handed out ({@link #consistentAtSeq()}). Writes completing just before the
     * bulk pass ended must have been handed out: a completed flush barrier requested since proves it (see
     * {@link #tapFlushed}); without barriers it waits a reorder window ({@value #REORDER_WAIT_MILLIS} ms).
     */
    public boolean synced()
    {
        return syncedNow && bulkDone() && inFlight == 0 && tracking.dirtyBytes() == 0 && bulkDoneNanos != 0 &&
            (barrierHorizonValid && barrierHorizonNanos - bulkDoneNanos >= 0 ||
                System.nanoTime() - bulkDoneNanos >= TimeUnit.MILLISECONDS.toNanos(REORDER_WAIT_MILLIS));
    }

    private void onEvent(final WriteEvent event) throws IOException
    {
        log.onEvent(event);
        if (event.op() == WriteOp.LOST)
        {
            lostReports++;
            verifyCursor = 0;
            return;
        }
        if (!event.op().changesData())
        {
            return;
        }
        final long start = Math.max(0, event.offsetBytes()) & ~(BLOCK - 1L);
        final long end = Math.min(sizeBytes, (event.endBytes() + BLOCK - 1) & ~(BLOCK - 1L));
        if (end <= start)
        {
            return;
        }
        tracking.mark(start, end - start, event.sequence());
        heat.recordWrite(start, end - start, System.nanoTime());
        if (lagTail - lagHead < LAG_CAPACITY)
        {
            final int i = (int)(lagTail & (LAG_CAPACITY - 1));
            lagSeq[i] = event.sequence();
            lagTime[i] = event.timeNanos();
            lagStart[i] = start;
            lagEnd[i] = end;
            final int bucket = lagBucket(start);
            lagNext[i] = lagBucketHead[bucket];
            lagBucketHead[bucket] = i;
            lagTail++;
        }
    }

    /** Test hook: a LOST event as the tap would hand it out. */
    void injectLost() throws IOException
    {
        onEvent(new WriteEvent().set(tap.nextSequence(), System.nanoTime(), WriteOp.LOST, 0, sizeBytes, WriteEvent.UNKNOWN_COUNT));
    }

    private void onCompletion(final long userData, final int result, final int flags)
    {
        final int slot = (int)userData;
        slotResult[slot] = result;
        slotDone[slot] = true;
    }

    /** A pool write of a slot's data is on the device: the slot is free once all of them are. */
    private void onWriteCompleted(final long userData)
    {
        final int slot = (int)userData;
        if (--slotWrites[slot] == 0 && !slotApplying[slot])
        {
            freeSlot(slot);
        }
    }

    private void freeSlot(final int slot)
    {
        units.give(slotUnit[slot], unitsOf(slotLength[slot]));
        slotKind[slot] = FREE;
        inFlight--;
    }

    /**
     * The master read of a slot is done: its data goes to the partition asynchronously (the slot stays
     * busy, so no overlapping read starts, until the writes complete) and its range is cleared now. Clearing
     * before the write is on the device is safe: the partition's commit waits for every write in flight
     * before the job state that records the clearing is written.
     */
    private void apply(final int slot) throws IOException
    {
        readsInFlight--;
        slotApplying[slot] = true;
        try
        {
            applyRead(slot);
        }
        finally
        {
            slotApplying[slot] = false;
            if (slotWrites[slot] == 0)
            {
                freeSlot(slot);
            }
        }
    }

    private void applyRead(final int slot) throws IOException
    {
        final int kind = slotKind[slot];
        final long offset = slotOffset[slot];
        final int length = slotLength[slot];
        if (slotResult[slot] < 0)
        {
            // Typed, so that explain() can tell an I/O error of the master from the rest.
            throw UringException.forResult(SqeDescriptor.OP_READ_FIXED, slotResult[slot],
                options.master + " (a read of " + length + " bytes at offset " + offset + ")");
        }
        if (slotResult[slot] != length)
        {
            throw new IOException(options.master + ": read of " + length + " bytes at " + offset + " returned " + slotResult[slot]);
        }
        final MemorySegment data = unitTails[slotUnit[slot]].asSlice(0, length);
        if (kind == VERIFY)
        {
            partition.checksums(offset, length, stored, storedHashes);
            int block = 0;
            final int blocks = length / BLOCK;
            while (block < blocks)
            {
                if (sameOnSlave(slot, data, block))
                {
                    block++;
                    continue;
                }
                int runEnd = block + 1;
                while (runEnd < blocks && !sameOnSlave(slot, data, runEnd))
                {
                    runEnd++;
                }
                write(slot, offset + (long)block * BLOCK, data.asSlice((long)block * BLOCK, (long)(runEnd - block) * BLOCK));
                recopiedBytes += (long)(runEnd - block) * BLOCK;
                block = runEnd;
            }
            verifiedBytes += length;
        }
        else
        {
            write(slot, offset, data);
            if (kind == COPY)
            {
                copiedBytes += length;
            }
            else
            {
                streamedBytes += length;
            }
        }
        tracking.clear(offset, offset + length, slotSeq[slot]);
        recordLag(offset, offset + length, slotSeq[slot]);
    }

    /**
     * Whether master block {@code block} of {@code data} is on the slave: its CRC32C and hash equal the
     * stored record ({@link Verifier#matchesStored}; {@link #stored} and {@link #storedHashes} filled for the
     * chunk). Only the master is read: the hash tells apart versions of a block that embeds its own CRC32C
     * (an ext4 superblock with metadata_csum), which the CRC alone cannot.
     */
    private boolean sameOnSlave(final int slot, final MemorySegment data, final int block)
    {
        return Verifier.matchesStored(crcOf(slot, block), BlockHash.hash(data, (long)block * BLOCK, hashWords), stored[block],
            storedHashes[block]);
    }

    /** The CRC32C of block {@code block} of slot {@code slot}'s data, through the buffer's one view (no slice per block). */
    private int crcOf(final int slot, final int block)
    {
        return BlockHash.crc32c(crc, view, slotUnit[slot] * CHUNK_BYTES + block * BLOCK);
    }

    /** Submits a write of slot {@code slot}'s data into the partition, extending it first when new data would not fit. */
    private void write(final int slot, final long offset, final MemorySegment data) throws IOException
    {
        // Unmapped and committed bytes both take new space (overwrites of committed data are copy-on-write).
        final long needed = partition.bytesNeededToWrite(offset, data.byteSize());
        if (needed > 0 && needed + MAP_HEADROOM_BYTES > partition.freeDataBytes())
        {
            final long unit = pool.info().unitBytes();
            final long grow = Math.max(needed + MAP_HEADROOM_BYTES, Math.max(unit, plan.partitionBytes() / 10));
            try
            {
                pool.extend(name, (grow + unit - 1) / unit * unit);
                extensions++;
            }
            catch (final RefusedException ex)
            {
                commit("copy");
                throw new RefusedException("the pool " + options.pool + " is full: partition '" + name + "' needs " + needed +
                    " more bytes; the job state is kept, so free or add pool space and run the same command again to resume", ex);
            }
            catch (final IOException ex)
            {
                // The storage below the pool refused the reservation (ENOSPC): nothing of the extension was
                // committed, so the partition's state is whole and committing keeps the copy's progress.
                if (errnoOf(ex) == Errno.ENOSPC || errnoOf(ex) == Errno.EDQUOT)
                {
                    commitQuietly(ex);
                }
                throw ex;
            }
        }
        slotWrites[slot]++;
        try
        {
            partition.submitWrite(offset, data, 0, slot);
        }
        catch (final IOException | RuntimeException ex)
        {
            slotWrites[slot]--;
            throw ex;
        }
    }

    /** Events with seq before {@code readSeq} inside [start, end) are applied now: their write-to-apply latency. */
    private void recordLag(final long start, final long end, final long readSeq)
    {
        // Tap times are wall-clock nanoseconds (epoch); the offset is taken the way the tap takes it.
        final long now = epochOffsetNanos + System.nanoTime();
        // An entry inside [start, end) starts in one of the chunks [start, end) touches (an apply is at most a chunk long).
        final long lastChunk = (end - 1) / CHUNK_BYTES;
        for (long chunk = start / CHUNK_BYTES; chunk <= lastChunk && chunk - start / CHUNK_BYTES < LAG_BUCKETS; chunk++)
        {
            final int bucket = lagBucket(chunk * CHUNK_BYTES);
            int previous = -1;
            int k = lagBucketHead[bucket];
            while (k >= 0)
            {
                final int next = lagNext[k];
                if (lagSeq[k] < readSeq && lagStart[k] >= start && lagEnd[k] <= end)
                {
                    lag.recordValue(Math.max(0, Math.min(lag.getHighestTrackableValue(), now - lagTime[k])));
                    lagEnd[k] = -1;
                    if (previous < 0)
                    {
                        lagBucketHead[bucket] = next;
                    }
                    else
                    {
                        lagNext[previous] = next;
                    }
                }
                else
                {
                    previous = k;
                }
                k = next;
            }
        }
        while (lagHead < lagTail && lagEnd[(int)(lagHead & (LAG_CAPACITY - 1))] < 0)
        {
            lagHead++;
        }
    }

    private static int lagBucket(final long offset)
    {
        return (int)((offset / CHUNK_BYTES) & (LAG_BUCKETS - 1));
    }

    private static int[] filledWith(final int[] array, final int value)
    {
        java.util.Arrays.fill(array, value);
        return array;
    }

    private int fill() throws IOException
    {
        int submitted = 0;
        // Streaming first: it never waits for the bulk copy.
        if (inFlight < SLOTS && tracking.dirtyBytes() > 0)
        {
            batchCount = 0;
            tracking.nextBatch(order, (long)CHUNK_BYTES * (SLOTS - inFlight), batchConsumer);
            for (int i = 0; i < batchCount && inFlight < SLOTS; i++)
            {
                for (long at = batchStart[i]; at < batchEnd[i] && inFlight < SLOTS; at += CHUNK_BYTES)
                {
                    if (submit(STREAM, at, Math.min(batchEnd[i], at + CHUNK_BYTES)))
                    {
                        submitted++;
                    }
                }
            }
        }
        while (inFlight < SLOTS && verifyCursor >= 0)
        {
            final long end = Math.min(sizeBytes, verifyCursor + CHUNK_BYTES);
            if (!submit(VERIFY, verifyCursor, end))
            {
                break;
            }
            submitted++;
            verifyCursor = end >= sizeBytes ? -1 : end;
        }
        while (inFlight < SLOTS && workCursor < work.count && !bulkLimited())
        {
            if (!submit(work.kind[workCursor], work.start[workCursor], work.end[workCursor]))
            {
                break;
            }
            submitted++;
            workCursor++;
        }
        return submitted;
    }

    /** Whether the bulk pass is ahead of {@link Options#bulkLimitBytesPerSecond}. */
    private boolean bulkLimited()
    {
        if (options.bulkLimitBytesPerSecond <= 0)
        {
            return false;
        }
        if (bulkStartNanos == 0)
        {
            bulkStartNanos = System.nanoTime();
        }
        long submitted = copiedBytes + verifiedBytes;
        for (int slot = 0; slot < SLOTS; slot++)
        {
            submitted += slotKind[slot] == COPY || slotKind[slot] == VERIFY ? slotLength[slot] : 0;
        }
        return submitted > options.bulkLimitBytesPerSecond * ((System.nanoTime() - bulkStartNanos) / 1e9);
    }

    /**
     * A dirty range handed out by the tracking map: the parts lying in chunks whose bulk read has not been
     * issued yet are left dirty (that read begins after the write, so it copies the new data and clears
     * them: streaming them now would move their bytes twice); the rest is streamed.
     */
    private void onDirtyRange(final long start, final long end)
    {
        if (options.eagerStreaming || workCursor >= work.count)
        {
            addBatch(start, end);
            return;
        }
        long streamStart = -1;
        long at = start;
        while (at < end)
        {
            final int region = (int)(at / REGION_BYTES);
            final long regionEnd = Math.min(sizeBytes, (region + 1) * REGION_BYTES);
            final int first = region < regionFirstWork.length ? regionFirstWork[region] : 0;
            final int last = region < regionEndWork.length ? regionEndWork[region] : 0;
            // The last item of the region starting at or before at.
            int lo = first;
            int hi = last;
            while (lo < hi)
            {
                final int mid = (lo + hi) >>> 1;
                if (work.start[mid] <= at)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }
            final int item = lo - 1;
            long pieceEnd;
            final boolean deferred;
            if (item >= first && at < work.end[item])
            {
                pieceEnd = Math.min(end, work.end[item]);
                deferred = item >= workCursor;
            }
            else
            {
                // Outside the snapshot's data: no bulk read will come, stream it.
                pieceEnd = Math.min(end, lo < last ? work.start[lo] : regionEnd);
                deferred = false;
            }
            // Past the device's end (a whole granule handed out at the end): stream the rest as it is.
            pieceEnd = pieceEnd > at ? pieceEnd : end;
            if (deferred)
            {
                deferredBytes += pieceEnd - at;
                if (streamStart >= 0)
                {
                    addBatch(streamStart, at);
                    streamStart = -1;
                }
            }
            else if (streamStart < 0)
            {
                streamStart = at;
            }
            at = pieceEnd;
        }
        if (streamStart >= 0)
        {
            addBatch(streamStart, end);
        }
    }

    private void addBatch(final long start, final long end)
    {
        if (!countingDeferred && batchCount < batchStart.length)
        {
            batchStart[batchCount] = start;
            batchEnd[batchCount] = end;
            batchCount++;
        }
    }

    /** Submits a read of [start, end) into a free slot; false when it overlaps a read in flight or its buffer is not free. */
    private boolean submit(final int kind, final long start, final long end)
    {
        int free = -1;
        for (int slot = 0; slot < SLOTS; slot++)
        {
            if (slotKind[slot] == FREE)
            {
                free = free < 0 ? slot : free;
            }
            else if (slotOffset[slot] < end && start < slotOffset[slot] + slotLength[slot])
            {
                return false;
            }
        }
        if (free < 0)
        {
            return false;
        }
        final int length = (int)(end - start);
        final int count = unitsOf(length);
        final int unit = units.take(count);
        if (unit < 0)
        {
            return false;
        }
        // The read begins after every write the tap has handed out: those are the ones it may clear.
        slotSeq[free] = tap.nextSequence();
        if (!ring.prepareReadFixed(master.fd(), false, unitTails[unit], length, start, 0, free))
        {
            units.give(unit, count);
            return false;
        }
        slotUnit[free] = unit;
        slotKind[free] = kind;
        slotOffset[free] = start;
        slotLength[free] = length;
        inFlight++;
        readsInFlight++;
        return true;
    }

    /** Buffer units (of {@link #CHUNK_BYTES}) a read of {@code length} bytes takes. */
    private static int unitsOf(final int length)
    {
        return (length + CHUNK_BYTES - 1) / CHUNK_BYTES;
    }

    /** Commits the partition with the job state: one pool commit makes both durable together. */
    private void commit(final String phase) throws IOException
    {
        writeState(phase);
        hook("commit");
        lastCommitNanos = System.nanoTime();
    }

    /** Stores the job state (java.util.Properties text, see {@link JobStateText}) in the partition's job-state blob and commits the partition. */
    private void writeState(final String phase) throws IOException
    {
        final JobStateText state = new JobStateText("presync replication job state")
            .put("phase", phase)
            .put("partition", name)
            .put("plannedPartitionBytes", Long.toString(plan.partitionBytes()))
            .put("baseBytes", Long.toString(plan.baseBytes()))
            .put("predictedGrowthBytes", Long.toString(plan.predictedGrowthBytes()))
            .put("growthUpperBytes", Long.toString(plan.growthUpperBytes()))
            .put("confidence", Double.toString(plan.confidence()))
            .put("model", plan.model())
            .put("consistentAtSeq", Long.toString(consistentAtSeq))
            .put("copyCursor", Integer.toString(workCursor))
            .put("dirtyBytes", Long.toString(tracking.dirtyBytes()));
        partition.setJobState(state.toBytes());
        partition.commit();
    }

    /** The job state committed with the partition, or null when none was. */
    private Properties readState() throws IOException
    {
        final byte[] blob;
        try (io.presync.pool.Partition view = pool.viewPartition(name))
        {
            blob = view.jobState();
        }
        if (blob == null)
        {
            return null;
        }
        final Properties p = new Properties();
        p.load(new java.io.ByteArrayInputStream(blob));
        return p;
    }

    private static Plan restorePlan(final Properties s, final Plan fresh)
    {
        try
        {
            return new Plan(Long.parseLong(s.getProperty("baseBytes")), fresh.logicalBytes(), fresh.rateBytesPerSecond(),
                fresh.horizonSeconds(), fresh.historyBuckets(), fresh.intervalSeconds(), s.getProperty("model", fresh.model()),
                Long.parseLong(s.getProperty("predictedGrowthBytes")), fresh.growthLowerBytes(),
                Long.parseLong(s.getProperty("growthUpperBytes")), Double.parseDouble(s.getProperty("confidence")),
                Long.parseLong(s.getProperty("plannedPartitionBytes")), fresh.unitBytes(), fresh.iterations(), fresh.note());
        }
        catch (final RuntimeException ex)
        {
            return fresh;
        }
    }

    /** Asks {@link #run} to stop at the next cycle (signal handlers call this). */
    public void requestStop()
    {
        stopRequested = true;
    }

    /**
     * Runs duty cycles until synced ({@code untilSynced}) or until {@link #requestStop()}; prints a
     * progress line to {@code progress} (null: quiet) about once a second; commits at the end.
     */
    public Report run(final boolean untilSynced, final PrintWriter progress) throws IOException
    {
        return run(untilSynced, 0, progress);
    }

    /**
     * {@link #run(boolean, PrintWriter)} with a limit: with {@code untilSynced}, the run ends at the first
     * consistent point after the bulk pass (the dirty set empty, nothing in flight, the tap drained: the
     * partition equals the master up to {@link #consistentAtSeq()}), reached once; under steady writes
     * the dirty set refills right after, which the next run() streams. When {@code syncTimeoutNanos} is
     * positive and that point is not reached in time, the run ends anyway with
     * {@link Report#timedOut()} and the state committed, so the same command resumes.
     */
    public Report run(final boolean untilSynced, final long syncTimeoutNanos, final PrintWriter progress) throws IOException
    {
        try
        {
            return runCycles(untilSynced, syncTimeoutNanos, progress);
        }
        catch (final IOException ex)
        {
            throw explain(ex);
        }
    }

    private Report runCycles(final boolean untilSynced, final long syncTimeoutNanos, final PrintWriter progress) throws IOException
    {
        long nextProgress = System.nanoTime();
        syncedNow = false;
        consistentReached = false;
        runStartNanos = System.nanoTime();
        // Only a barrier requested from now on proves that writes completed before this run are handed out
        // (a later barrier's completion implies an earlier one's, so one still awaited is simply replaced).
        barrierHorizonValid = false;
        barrierPending = 0;
        boolean timedOut = false;
        while (!stopRequested && !(untilSynced && consistentReached))
        {
            if (syncTimeoutNanos > 0 && System.nanoTime() - runStartNanos >= syncTimeoutNanos)
            {
                timedOut = true;
                break;
            }
            final int work = doWork();
            if (work == 0)
            {
                if (readsInFlight > 0)
                {
                    ring.submitAndWait(1);
                }
                else if (inFlight > 0)
                {
                    partition.awaitCompletion();
                }
                else
                {
                    Thread.onSpinWait();
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                }
            }
            if (progress != null && System.nanoTime() >= nextProgress)
            {
                progress.print("\r" + progressLine());
                progress.flush();
                nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
        }
        phase(6);
        // Drain what is in flight (master reads, then their pool writes), then commit.
        while (readsInFlight > 0)
        {
            ring.submitAndWait(1);
            ring.reap(completions, SLOTS);
            for (int slot = 0; slot < SLOTS; slot++)
            {
                if (slotDone[slot])
                {
                    slotDone[slot] = false;
                    apply(slot);
                }
            }
        }
        partition.drain();
        mark(DRAINED);
        commit(synced() ? "synced" : bulkDone() ? "stream" : "copy");
        phase(7);
        History.recordRun(options.logDir(), runStartEpochNanos, epochOffsetNanos + System.nanoTime(), false);
        if (progress != null)
        {
            progress.println("\r" + progressLine()); // where the run ended, not the last line of a second ago
        }
        final Report report = report(untilSynced && consistentReached && synced(), progress);
        return timedOut ? report.withTimedOut() : report;
    }

    /** copied/total, rate, ETA, dirty backlog, partition fill. */
    public String progressLine()
    {
        final long done = copiedBytes + verifiedBytes;
        final long total = Math.max(1, plan.baseBytes());
        final double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
        final double rate = (copiedBytes + streamedBytes + verifiedBytes) / seconds;
        // Before the first byte moves there is no rate to tell the time left by: "--", not "0 s".
        final String eta = done >= total ? "0 s" : rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - done) / rate) : "--";
        final String backlog = dirtyBacklogGrowing() ?
            String.format(Locale.ROOT, " (growing +%.1f MiB/s: writes outpace the copy)", dirtyGrowthRate() / (1 << 20)) : "";
        return String.format(Locale.ROOT, "copied %d/%d MiB  %.0f MiB/s  ETA %s  dirty %d KiB%s  partition %.0f%% full%s   ",
            done >> 20, total >> 20, rate / (1 << 20), eta, tracking.dirtyBytes() >> 10, backlog,
            100.0 * partition.usedBytes() / Math.max(1, partition.dataBytes()),
            consistentReached ? String.format(Locale.ROOT, "  consistent at seq %d", consistentAtSeq) : "");
    }

    /**
     * The report. With {@code verify} (the master should be quiet) it runs the pool's {@link Verifier}
     * over the whole partition (stored CRC32C against the slave's data and the master's) and, when the
     * master took no writes meanwhile, {@link Repairer} re-transfers exactly the mismatching ranges and
     * verifies them again. Mismatches while the master was written are not repaired: they may be the
     * racing writes themselves, which the tracking map re-copies anyway. The verifier reads into the job's read
     * buffer, idle and faulted in by then, rather than into fresh memory of its own.
     */
    public Report report(final boolean verify) throws IOException
    {
        return report(verify, null);
    }

    /** {@link #report(boolean)}, its verify showing its progress on {@code shown} (a terminal; null: quiet). */
    private Report report(final boolean verify, final PrintWriter shown) throws IOException
    {
        if (bulkStartNanos != 0)
        {
            final long end = bulkDone() && bulkDoneNanos != 0 ? bulkDoneNanos : System.nanoTime();
            measuredRate = (copiedBytes + verifiedBytes) / Math.max(1e-3, (end - bulkStartNanos) / 1e9);
        }
        String verdict = "not run";
        if (verify && options.finalVerify == FinalVerify.OFF)
        {
            verdict = "off (--final-verify off)";
        }
        else if (verify)
        {
            final long before = tap.nextSequence();
            // The read buffer is idle now (nothing in flight at a consistent point) and faulted in: the verifier reads into it.
            final Verifier.Scope scope = options.finalVerify == FinalVerify.SLAVE ? Verifier.Scope.SLAVE : Verifier.Scope.FULL;
            // On a terminal the final verify of a large partition shows its progress as the copy did (it reads it all).
            final long verifyStart = System.nanoTime();
            final DeviceCopy.Progress told = shown == null ? null : (done, total) ->
            {
                shown.printf(Locale.ROOT, "\rfinal verify: %d/%d MiB  %.0f MiB/s   ", done >> 20, total >> 20,
                    done / Math.max(1e-3, (System.nanoTime() - verifyStart) / 1e9) / (1 << 20));
                shown.flush();
            };
            final VerifyResult result = inFlight == 0 && buffers != null && buffers[0].byteSize() >= Verifier.BUFFER_BYTES ?
                Verifier.verify(master, partition, scope, buffers[0], told) : Verifier.verify(master, partition, scope);
            if (shown != null)
            {
                shown.println();
            }
            tap.poll(events, POLL_LIMIT);
            final long written = tap.nextSequence() - before;
            boolean consistent = result.consistent();
            if (consistent)
            {
                verdict = options.finalVerify == FinalVerify.SLAVE ? "ok (slave only)" : "ok";
            }
            else if (written > 0)
            {
                verdict = "not comparable: the master took " + written + " writes during the comparison (" +
                    result.mismatches().size() + " ranges differed)";
            }
            else
            {
                final RepairResult repair = Repairer.repair(master, partition, result);
                recopiedBytes += repair.repairedBytes();
                consistent = repair.consistent();
                verdict = consistent ?
                    "ok after repairing " + repair.repaired().size() + " ranges (" + repair.repairedBytes() + " bytes)" :
                    repair.after().mismatches().size() + " ranges still mismatch after repair";
            }
            if (consistent)
            {
                pool.setState(name, PartitionState.SYNCED);
            }
            phase(8);
        }
        final long used = partition.usedBytes();
        // The backlog is sampled twice a second; the one at the report (after the final verify) counts too.
        peakDirtyBytes = Math.max(peakDirtyBytes, tracking.dirtyBytes());
        mark(REPORT);
        return new Report(name, resumed, plan, plan.partitionBytes(), plan.baseBytes(), plan.predictedGrowthBytes(),
            plan.growthUpperBytes(), plan.confidence(), Math.max(0, used - plan.baseBytes()), used, extensions,
            copiedBytes, streamedBytes, recopiedBytes, verifiedBytes, (System.nanoTime() - startNanos) / 1e9,
            lag.getValueAtPercentile(50) / 1e6, lag.getValueAtPercentile(99) / 1e6, lag.getValueAtPercentile(99.9) / 1e6,
            verdict, consistentAtSeq, lostReports, tap.eventsDelivered(),
            consistentReached, consistentReached ? (consistentNanos - runStartNanos) / 1e9 : Double.NaN, false, horizonSeconds,
            measuredRate, java.util.List.copyOf(extensionReasonsNow()), dirtyBacklogGrowing(), tracking.dirtyBytes(), peakDirtyBytes,
            secondsToSynced());
    }

    /**
     * Seconds from this process's start (not the job's) until the partition held the data: the commit at the
     * end of {@link #run} when it ended synced, before the final verify; NaN when it did not end synced or the
     * start is unknown. The start is /proc/self/stat's (10 ms ticks), so JVM start-up counts.
     */
    private double secondsToSynced()
    {
        if (phaseNanos[7] == 0 || !synced())
        {
            return Double.NaN;
        }
        final long processStart = processStartNanoTime();
        return processStart == Long.MIN_VALUE ? Double.NaN : (phaseNanos[7] - processStart) / 1e9;
    }

    /**
     * This process's start on the {@link System#nanoTime()} scale, or Long.MIN_VALUE when /proc does not say:
     * its age is the system's uptime (/proc/uptime) minus its start time after boot (/proc/self/stat field 22,
     * in clock ticks of 1/100 s, the USER_HZ of Linux).
     */
    static long processStartNanoTime()
    {
        try
        {
            final long now = System.nanoTime();
            final String uptime = Files.readString(Path.of("/proc/uptime"));
            final String stat = Files.readString(Path.of("/proc/self/stat"));
            // Field 2 (the command) may hold spaces and parentheses: count fields after the last ')'.
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            final long startTicks = Long.parseLong(fields[22 - 3]);
            final double upSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            return now - (long)((upSeconds - startTicks / 100.0) * 1e9);
        }
        catch (final IOException | RuntimeException ex)
        {
            return Long.MIN_VALUE;
        }
    }

    /** The ahead-of-need reasons, then the extensions writes forced when they found the partition full. */
    private java.util.List<String> extensionReasonsNow()
    {
        final java.util.List<String> reasons = new java.util.ArrayList<>(extensionReasons);
        final int atWrite = extensions - aheadExtensions;
        if (atWrite > 0)
        {
            reasons.add(atWrite + " at need: growth outran the buffer, a write found the partition full");
        }
        return reasons;
    }

    public Plan plan()
    {
        return plan;
    }

    public boolean resumed()
    {
        return resumed;
    }

    public long consistentAtSeq()
    {
        return consistentAtSeq;
    }

    public long copiedBytes()
    {
        return copiedBytes;
    }

    @Override
    public void onClose()
    {
    }

    /** Stops the tap, closes the partition (uncommitted writes are not committed here), the log and the devices. */
    @Override
    public void close()
    {
        if (setup != null)
        {
            // Waits for the set-up thread and closes what it opened that the job did not take (a failed start).
            setup.close();
        }
        // Removing the trace instance takes the kernel 10-40 ms (its readers stop, the events unregister): on a
        // thread of its own while the rest closes, waited for below (start and join hand the tap over and back).
        final Thread tapCloser = tap == null ? null : Thread.ofPlatform().name("presync-tap-close").start(this::closeTap);
        if (partition != null)
        {
            partition.close();
        }
        closeQuietly(log);
        closeQuietly(pool);
        if (ring != null)
        {
            ring.close();
        }
        if (tracking != null)
        {
            tracking.close();
        }
        closeQuietly(master);
        if (arena != null)
        {
            arena.close();
        }
        mark(CLOSE_REST);
        if (tapCloser != null)
        {
            Threads.joinUninterruptibly(tapCloser);
        }
        printPhases();
    }

    private void closeTap()
    {
        try
        {
            tap.close();
        }
        catch (final IOException ignored)
        {
            // Closing: the trace instance of a dead process is removed by the next tap.
        }
        mark(CLOSE_TAP);
    }

    /** With -Dpresync.phases=true: one JSON line on stderr, seconds since the job began per phase reached. */
    private void printPhases()
    {
        if (!Boolean.getBoolean("presync.phases"))
        {
            return;
        }
        final StringBuilder s = new StringBuilder("presync-phases {\"startEpochNanos\": ").append(epochOffsetNanos + startNanos);
        for (int i = 0; i < PHASES.length; i++)
        {
            appendMark(s, PHASES[i], phaseNanos[i]);
        }
        if (setup != null)
        {
            for (int i = 0; i < ParallelSetup.STEPS.length; i++)
            {
                appendMark(s, ParallelSetup.STEPS[i], setup.stepNanos[i]);
            }
        }
        appendMark(s, "close", System.nanoTime());
        System.err.println(s.append('}'));
    }

    /**
     * {@code , "name": seconds} since the job began, with microseconds (not String.format: its first use costs
     * milliseconds, which the wind-down being measured would pay); nothing for a mark not reached.
     */
    private void appendMark(final StringBuilder s, final String name, final long nanos)
    {
        if (nanos == 0)
        {
            return;
        }
        final long micros = (nanos - startNanos) / 1000;
        final String fraction = Long.toString(1_000_000 + Math.abs(micros) % 1_000_000);
        s.append(", \"").append(name).append("\": ").append(micros < 0 ? "-" : "").append(Math.abs(micros) / 1_000_000)
            .append('.').append(fraction, 1, fraction.length());
    }

    /**
     * One sentence for a failure of the storage under the job: which device, what happened, that the state
     * is kept and what to do. The devices are measured again, because a device that vanished (a hot-unplugged
     * disk or a loop device whose capacity dropped has size 0) shows itself only as short reads and ENOSPC
     * writes, and ENOSPC from a pool whose size is unchanged means the storage below it is full (a thin
     * volume, or the file system holding a loop device's backing file). Other failures pass unchanged.
     */
    IOException explain(final IOException ex)
    {
        if (ex instanceof RefusedException)
        {
            return ex;
        }
        final String kept = partition == null ? "; the pool is unchanged" :
            "; the job state is kept (the partition as of its last commit)";
        if (master != null)
        {
            final long now = currentSizeBytes(options.master);
            if (now != sizeBytes)
            {
                return new IOException("the master " + options.master + " went away or changed size during the replication (" +
                    sizeText(now) + ", was " + sizeBytes + " bytes) after: " + ex.getMessage() + kept +
                    "; reattach it and run the same command again to resume", ex);
            }
        }
        if (pool != null)
        {
            final long spanBytes = pool.info().unitCount() * pool.info().unitBytes();
            final long now = currentSizeBytes(options.pool);
            if (now < spanBytes)
            {
                return new IOException("the pool " + options.pool + " went away or shrank during the replication (" + sizeText(now) +
                    ", its pool spans " + spanBytes + " bytes) after: " + ex.getMessage() + kept +
                    "; reattach it and run the same command again to resume", ex);
            }
        }
        final int errno = errnoOf(ex);
        final boolean onPool = failedOnPool(ex);
        // Only the pool's own calls: ENOSPC elsewhere (the write log's file system) is not the pool's storage.
        // The loop driver may report a backing file system that ran full as EIO (page-cache writeback).
        if (onPool && (errno == Errno.ENOSPC || errno == Errno.EDQUOT || (errno == Errno.EIO && backingFileSystemFull(options.pool))))
        {
            return new IOException("the storage below the pool " + options.pool +
                backingFile(options.pool).map(f -> " (its backing file " + f + ")").orElse("") +
                " is full (" + ex.getMessage() + ")" + kept + "; free space where the pool's storage lives (or move it to a " +
                "larger place) and run the same command again to resume", ex);
        }
        if (errno == Errno.EIO || errno == Errno.ENXIO || errno == Errno.ENODEV)
        {
            return new IOException("the " + (onPool ? "pool " + options.pool : "master " + options.master) + " failed an I/O (" +
                ex.getMessage() + ")" + kept + "; check the device and the storage below it (dmesg), then run the same command " +
                "again to resume", ex);
        }
        return ex;
    }

    /**
     * Whether the failed call was on the pool: the pool's path (or its loop device's backing file, which
     * the reservation's fallback calls) starts the message (Libc) or is the ring's path.
     */
    private boolean failedOnPool(final Throwable failure)
    {
        final String pool = options.pool.toString();
        final String file = backingFile(options.pool).map(Path::toString).orElse(pool);
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            if (t instanceof UringException e && e.path() != null)
            {
                return e.path().equals(pool) || e.path().startsWith(pool + " ");
            }
            if (t instanceof ErrnoException && t.getMessage() != null)
            {
                return t.getMessage().startsWith(pool + ":") || t.getMessage().startsWith(file + ":");
            }
        }
        return false;
    }

    /** True when the pool is a loop device whose backing file lies on a file system with less than 1 MiB free. */
    private static boolean backingFileSystemFull(final Path device)
    {
        try
        {
            final Optional<Path> file = backingFile(device);
            return file.isPresent() && Files.getFileStore(file.get()).getUsableSpace() < MIN_MASTER_BYTES;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private void commitQuietly(final IOException failure)
    {
        try
        {
            commit(bulkDone() ? "stream" : "copy");
        }
        catch (final IOException | RuntimeException ex)
        {
            failure.addSuppressed(ex);
        }
    }

    /** The errno of a failed call, found along the causes; 0 when none carries one. */
    static int errnoOf(final Throwable failure)
    {
        for (Throwable t = failure; t != null; t = t.getCause())
        {
            if (t instanceof ErrnoException e)
            {
                return e.errno();
            }
            if (t instanceof UringException e)
            {
                return e.errno();
            }
        }
        return 0;
    }

    /** The device's size now, or -1 when it cannot be opened any more. */
    private static long currentSizeBytes(final Path device)
    {
        try (BlockDevice d = BlockDevice.open(device, OpenOptions.forReading()))
        {
            return d.sizeBytes();
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    private static String sizeText(final long bytes)
    {
        return bytes < 0 ? "it cannot be opened now" : "it has " + bytes + " bytes now";
    }

    private static Optional<Path> backingFile(final Path device)
    {
        try (BlockDevice d = BlockDevice.open(device, OpenOptions.forReading()))
        {
            return d.backingFile();
        }
        catch (final IOException | RuntimeException ex)
        {
            return Optional.empty();
        }
    }

    private static void closeQuietly(final AutoCloseable c)
    {
        try
        {
            if (c != null)
            {
                c.close();
            }
        }
        catch (final Exception ignored)
        {
            // Best effort while closing.
        }
    }
}
