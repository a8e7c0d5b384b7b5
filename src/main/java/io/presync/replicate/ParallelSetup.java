package io.presync.replicate;

import io.presync.Threads;
import io.presync.pool.MasterIdentity;
import io.presync.stream.BlockTap;
import io.presync.stream.WriteLog;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The half of a job's set-up that needs neither the checks of the devices nor the plan, on a thread of its own
 * ({@code presync-job-setup}) while the job's thread opens and checks the master and the pool, reads the
 * history, maps the master, plans and reserves the partition. In order:
 * <ol>
 *   <li>the write log: {@link #awaitLog()}, after which the job reads the history the log holds while the tap
 *       is still being opened (reading it needs the log's retention applied, not the tap);</li>
 *   <li>the tap of the master (its sequence numbers continue the log's) and the master's identity key:
 *       {@link #awaitTap()}, which the job calls before T0 (the map), so every write completing after T0 is
 *       seen;</li>
 *   <li>the job's ring and its registered buffers (one mapping advised for huge pages: in 4 KiB pages, faulting in
 *       16 MiB took longer than opening the tap on a virtual machine): {@link #awaitRing()}, before the first read of
 *       the master.</li>
 * </ol>
 * Each await hands over what that step opened, and from then on the job owns (and closes) it; the awaits give
 * the happens-before edge the tap and the ring need to change threads. A failure ends the thread; the await
 * that needs what failed throws it. {@link #close()} waits for the thread and closes whatever the job has not
 * taken, so a job that fails anywhere in its set-up leaves no trace instance, ring or file open.
 */
final class ParallelSetup implements AutoCloseable
{
    /** Names of the steps' end marks, printed with the job's phases ({@code -Dpresync.phases=true}). */
    static final String[] STEPS = {"setup.log", "setup.tap", "setup.identity", "setup.buffers", "setup.ring"};

    private final Path master;
    private final Path logDirectory;
    private final BlockTap.Options tapOptions;
    private final int bufferBytes;
    private final Thread thread;
    private final CountDownLatch logDone = new CountDownLatch(1);
    private final CountDownLatch tapDone = new CountDownLatch(1);
    private final CountDownLatch ringDone = new CountDownLatch(1);
    /** System.nanoTime() at the end of each of {@link #STEPS} (0: not reached); read after {@link #close()}. */
    final long[] stepNanos = new long[STEPS.length];

    // Written by the thread before the latch of their step counts down.
    private WriteLog log;
    private BlockTap tap;
    private String identityKey;
    private Ring ring;
    private Arena arena;
    private MemorySegment[] buffers;
    private Throwable logFailure;
    private Throwable tapFailure;
    private Throwable ringFailure;

    // Job thread only.
    private boolean tapTaken;
    private boolean ringTaken;
    private boolean closed;

    private ParallelSetup(final Path master, final Path logDirectory, final BlockTap.Options tapOptions, final int bufferBytes)
    {
        this.master = master;
        this.logDirectory = logDirectory;
        this.tapOptions = tapOptions;
        this.bufferBytes = bufferBytes;
        thread = Thread.ofPlatform().name("presync-job-setup").unstarted(this::run);
    }

    /**
     * Starts the set-up thread: the write log in {@code logDirectory}, a tap of {@code master} with {@code tapOptions}
     * (whose first sequence it sets from the log), and a ring with one registered buffer of {@code bufferBytes} (the job
     * cuts it into its read units).
     */
    static ParallelSetup start(final Path master, final Path logDirectory, final BlockTap.Options tapOptions, final int bufferBytes)
    {
        final ParallelSetup setup = new ParallelSetup(master, logDirectory, tapOptions, bufferBytes);
        setup.thread.start();
        return setup;
    }

    private void run()
    {
        try
        {
            // WriteLog.open creates the directory, after refusing a file in its place with a clear sentence.
            try
            {
                log = WriteLog.open(logDirectory, new WriteLog.Options());
                stepNanos[0] = System.nanoTime();
            }
            catch (final Throwable ex)
            {
                logFailure = ex;
                throw ex;
            }
            finally
            {
                logDone.countDown();
            }
            tap = BlockTap.open(master, tapOptions.firstSequence(Math.max(1, log.nextSequence())));
            stepNanos[1] = System.nanoTime();
            // Needed only when the partition is allocated; blkid may run for a master without a sysfs id.
            identityKey = MasterIdentity.stableKey(master);
            stepNanos[2] = System.nanoTime();
        }
        catch (final Throwable ex)
        {
            tapFailure = ex;
            ringFailure = ex;
            tapDone.countDown();
            ringDone.countDown();
            return;
        }
        tapDone.countDown();
        try
        {
            arena = Arena.ofShared();
            final MemorySegment[] registered = Ring.allocateBuffers(arena, 1, bufferBytes);
            stepNanos[3] = System.nanoTime();
            ring = Ring.create(64);
            ring.registerBuffers(registered);
            buffers = registered;
            stepNanos[4] = System.nanoTime();
        }
        catch (final Throwable ex)
        {
            ringFailure = ex;
        }
        finally
        {
            ringDone.countDown();
        }
    }

    /**
     * Waits for the write log (open, its retention applied: its directory holds the history of earlier runs). The
     * log is handed over with the tap ({@link #awaitTap()}).
     */
    void awaitLog() throws IOException
    {
        Threads.awaitUninterruptibly(logDone);
        rethrow(logFailure);
    }

    /** Waits for the write log and the tap (running: events completing from now on are captured) and hands both over. */
    void awaitTap() throws IOException
    {
        // The thread holds a trace instance or a ring the job must own or close: no returning early.
        Threads.awaitUninterruptibly(tapDone);
        rethrow(tapFailure);
        tapTaken = true;
    }

    /** The write log; after {@link #awaitTap()}. */
    WriteLog log()
    {
        return log;
    }

    /** The tap; after {@link #awaitTap()}. */
    BlockTap tap()
    {
        return tap;
    }

    /** The master's {@link MasterIdentity#stableKey}; after {@link #awaitTap()}. */
    String identityKey()
    {
        return identityKey;
    }

    /** Waits for the ring and its registered buffers and hands them over. */
    void awaitRing() throws IOException
    {
        Threads.awaitUninterruptibly(ringDone);
        rethrow(ringFailure);
        ringTaken = true;
    }

    /** The ring; after {@link #awaitRing()}. */
    Ring ring()
    {
        return ring;
    }

    /** The arena holding {@link #buffers()}; after {@link #awaitRing()}. */
    Arena arena()
    {
        return arena;
    }

    /** The buffers registered with {@link #ring()} (index i is fixed buffer i); after {@link #awaitRing()}. */
    MemorySegment[] buffers()
    {
        return buffers;
    }

    /** Waits for the thread, then closes what was opened and not handed over. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        Threads.joinUninterruptibly(thread);
        if (!tapTaken)
        {
            closeQuietly(tap);
            closeQuietly(log);
        }
        if (!ringTaken)
        {
            if (ring != null)
            {
                ring.close();
            }
            if (arena != null)
            {
                arena.close();
            }
        }
    }

    private static void rethrow(final Throwable failure) throws IOException
    {
        if (failure == null)
        {
            return;
        }
        if (failure instanceof IOException io)
        {
            throw io;
        }
        if (failure instanceof RuntimeException runtime)
        {
            throw runtime;
        }
        if (failure instanceof Error error)
        {
            throw error;
        }
        throw new IllegalStateException(failure);
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
            // Best effort: the job's set-up failed already and that failure is the one to report.
        }
    }
}
