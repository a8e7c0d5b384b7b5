package io.presync.uring;

import io.presync.ffi.Errno;
import io.presync.ffi.Libc;
import io.presync.ffi.liburing.Liburing;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.presync.uring.IoUringDescriptor.CQ_CQES_OFFSET;
import static io.presync.uring.IoUringDescriptor.CQ_KHEAD_OFFSET;
import static io.presync.uring.IoUringDescriptor.CQ_KTAIL_OFFSET;
import static io.presync.uring.IoUringDescriptor.CQ_RING_ENTRIES_OFFSET;
import static io.presync.uring.IoUringDescriptor.CQ_RING_MASK_OFFSET;
import static io.presync.uring.IoUringDescriptor.ENTER_RING_FD_OFFSET;
import static io.presync.uring.IoUringDescriptor.FEATURES_OFFSET;
import static io.presync.uring.IoUringDescriptor.RING_FD_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_ARRAY_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_KFLAGS_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_KHEAD_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_KTAIL_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_RING_ENTRIES_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_RING_MASK_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_SQES_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_SQE_HEAD_OFFSET;
import static io.presync.uring.IoUringDescriptor.SQ_SQE_TAIL_OFFSET;
import static io.presync.uring.SqeDescriptor.IORING_FSYNC_DATASYNC;
import static io.presync.uring.SqeDescriptor.IOSQE_FIXED_FILE;
import static io.presync.uring.SqeDescriptor.OP_FALLOCATE;
import static io.presync.uring.SqeDescriptor.OP_FSYNC;
import static io.presync.uring.SqeDescriptor.OP_NOP;
import static io.presync.uring.SqeDescriptor.OP_READ;
import static io.presync.uring.SqeDescriptor.OP_READ_FIXED;
import static io.presync.uring.SqeDescriptor.OP_WRITE;
import static io.presync.uring.SqeDescriptor.OP_WRITE_FIXED;
import static io.presync.uring.SqeDescriptor.SQE_SHIFT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * An io_uring instance driven from Java: operations are written as SQEs straight into the submission
 * ring the kernel mapped, made visible with one release store of the SQ tail and submitted in batches
 * with one {@code io_uring_enter} downcall (no downcall per operation); completions are read from the
 * mapped completion ring and handed to a {@link CompletionHandler} without allocating.
 * <p>
 * {@code io_uring_enter} is called directly rather than through liburing's submit helpers: a submit
 * that cannot sleep goes through a critical downcall (no thread-state transition), and
 * {@link #submitAndWait} takes the blocking downcall only when the completions it waits for are not
 * there after submitting (NOPs and cached reads complete during the submit itself).
 * <p>
 * {@link #create(int)} sets the ring up with {@link #DEFAULT_OPTIONS} (COOP_TASKRUN): completions are
 * posted without interrupting the thread, which suits every user of a Ring since each one enters the
 * kernel ({@link #submit()} or {@link #submitAndWait}) to reap. {@link #create(int, int)} takes other
 * set-up options, for a ring that one thread creates, uses and closes:
 * {@link #OPTION_SINGLE_ISSUER} (IORING_SETUP_SINGLE_ISSUER, plus the ring fd registered with
 * io_uring_register_ring_fd so that io_uring_enter skips the fd lookup) and {@link #OPTION_DEFER_TASKRUN};
 * 0 gives a plain ring. A kernel that does not know an option (EINVAL) gets COOP_TASKRUN alone, and
 * a kernel older than that (Linux 5.19) no options ({@link #setupOptions()} says what was applied).
 * <p>
 * Set-up goes through liburing 2.3 ({@code io_uring_queue_init_params}, which maps the rings); the
 * pointers into the rings are then read once from liburing's {@code struct io_uring} at the offsets of
 * {@link IoUringDescriptor}. Registration calls go through {@link Libc#ioUringRegister} (what liburing's
 * wrappers do too), not downcall handles of their own. The SQE and CQE formats are in
 * {@link SqeDescriptor} and {@link CqeDescriptor}.
 * <p>
 * <b>Not thread-safe: one Ring per thread.</b> Every method must be called by one thread at a time
 * (creation and closing may happen on another thread with a happens-before edge, e.g. a thread start or
 * join). Buffers handed to {@code prepare*} must stay alive and untouched until their completion has
 * been reaped; {@link #close()} waits for nothing, so reap everything first.
 * <p>
 * Usage:
 * <pre>{@code
 * try (Ring ring = Ring.create(64))
 * {
 *     while (!ring.prepareRead(fd, false, buffer, 4096, 0, UserData.encode(READ, slot))) { ring.submit(); }
 *     ring.submitAndWait(1);
 *     ring.reap(handler, 64);          // handler.onCompletion(userData, res, flags)
 * }
 * }</pre>
 * A negative {@code res} is a negative errno; turn it into an exception at the API edge with
 * {@link UringException#check(int, int, String)} or {@link UringException#forResult(int, int, String)}.
 */
public final class Ring implements AutoCloseable
{
    /** Cheap argument checks (buffer sizes, registered indexes); on unless -Dpresync.checks=false. */
    static final boolean CHECKS = Boolean.parseBoolean(System.getProperty("presync.checks", "true"));

    /** Alignment of buffers from {@link #allocateBuffer}: a page, enough for O_DIRECT on any device. */
    public static final int BUFFER_ALIGNMENT_BYTES = 4096;

    /** IORING_MAX_ENTRIES of the kernel (larger requests are clamped by IORING_SETUP_CLAMP anyway). */
    public static final int MAX_ENTRIES = 32768;

    /** Kernel limit on registered buffers (IORING_MAX_REG_BUFFERS) and the size of one (1 GiB). */
    static final int MAX_REGISTERED_BUFFERS = 1 << 14;
    static final long MAX_REGISTERED_BUFFER_BYTES = 1L << 30;

    /**
     * Set this system property to a reason to make io_uring look unavailable (tests of fallback paths,
     * or an operator working around a broken kernel); read once, at the first probe.
     */
    public static final String UNAVAILABLE_PROPERTY = "presync.uring.unavailable";

    /**
     * IORING_SETUP_SINGLE_ISSUER (Linux 6.0): only the creating thread submits, so the kernel skips
     * some locking; also registers the ring fd (a per-thread table) to spare io_uring_enter the fd
     * lookup. The ring must be created, used and closed on one thread.
     */
    public static final int OPTION_SINGLE_ISSUER = 1;
    /**
     * IORING_SETUP_DEFER_TASKRUN (Linux 6.1, implies {@link #OPTION_SINGLE_ISSUER}): completion work
     * runs only when this thread enters the kernel, so completions become visible to {@link #reap}
     * only after {@link #submit()} or {@link #submitAndWait}; a polling loop must call one of them.
     */
    public static final int OPTION_DEFER_TASKRUN = 2;
    /**
     * IORING_SETUP_COOP_TASKRUN with IORING_SETUP_TASKRUN_FLAG (Linux 5.19): completion work is queued
     * for the thread without interrupting it (no IPI) and runs at its next entry to the kernel, which
     * {@link #submit()} makes when the kernel flags work waiting; no thread affinity. Measured: the NOP
     * round trip at batch 32 is about 10% cheaper than on a plain ring (scripts/bench uring).
     */
    public static final int OPTION_COOP_TASKRUN = 4;

    /**
     * The options of {@link #create(int)}: {@link #OPTION_COOP_TASKRUN}. Not SINGLE_ISSUER or
     * DEFER_TASKRUN, which tie the ring to the thread that created it: the replication job (an Agrona
     * Agent) creates its ring in start() and may be driven by an AgentRunner's thread, and a partition
     * opens its data ring on whichever thread writes first.
     */
    public static final int DEFAULT_OPTIONS = OPTION_COOP_TASKRUN;

    // IORING_SETUP_* and IORING_SQ_* (uapi io_uring.h; ABI values).
    static final int SETUP_COOP_TASKRUN = 1 << 8;
    static final int SETUP_TASKRUN_FLAG = 1 << 9;
    static final int SETUP_SINGLE_ISSUER = 1 << 12;
    static final int SETUP_DEFER_TASKRUN = 1 << 13;
    static final int SQ_CQ_OVERFLOW = 1 << 1;
    // IORING_(UN)REGISTER_* opcodes of io_uring_register(2) (uapi io_uring.h).
    static final int IORING_REGISTER_BUFFERS = 0;
    static final int IORING_UNREGISTER_BUFFERS = 1;
    static final int IORING_REGISTER_FILES = 2;
    static final int IORING_UNREGISTER_FILES = 3;
    static final int SQ_TASKRUN = 1 << 2;

    /** struct iovec as io_uring_register_buffers reads it (LP64); checked by RingLayoutTest. */
    static final int IOVEC_BYTES = 16;
    static final int IOVEC_BASE_OFFSET = 0;
    static final int IOVEC_LEN_OFFSET = 8;

    private static final VarHandle INT = JAVA_INT.varHandle();

    /** IORING_SETUP_* bits that set-up answers with EINVAL, as an older kernel does (tests of the fallback). */
    static volatile int refusedSetupFlagsForTest;

    private final Arena arena;
    private final MemorySegment ring;
    /** liburing's struct io_uring ({@link IoUringDescriptor}). */
    private final MemorySegment sqHead;
    private final MemorySegment sqTail;
    private final MemorySegment sqFlags;
    private final MemorySegment sqes;
    private final MemorySegment cqHead;
    private final MemorySegment cqTail;
    private final MemorySegment cqes;
    private final int sqEntries;
    private final int sqMask;
    private final int cqEntries;
    private final int cqMask;
    private final int features;
    private final int options;
    /** The ring fd, or its registered index when enterFlags has ENTER_REGISTERED_RING. */
    private final int enterFd;
    private final int enterFlags;
    /** DEFER_TASKRUN: every enter asks for completions (GETEVENTS), else they are never posted. */
    private final boolean deferTaskrun;

    /** Next SQ slot to fill; slots up to here are prepared but maybe not yet published. */
    private int sqeTail;
    /** The SQ tail the kernel has seen (last release store). */
    private int publishedTail;
    /** Last SQ head read from the kernel; refreshed only when the ring looks full. */
    private int sqHeadCached;
    /** Our CQ head: we are its only writer. */
    private int cqHeadLocal;
    private boolean closed;

    private long[] bufferAddresses = new long[0];
    private long[] bufferLengths = new long[0];
    private int registeredFiles;

    private Ring(final Arena arena, final MemorySegment ring, final int options, final boolean registeredRing)
    {
        this.arena = arena;
        this.ring = ring;
        sqEntries = ring.get(JAVA_INT, SQ_RING_ENTRIES_OFFSET);
        sqMask = ring.get(JAVA_INT, SQ_RING_MASK_OFFSET);
        cqEntries = ring.get(JAVA_INT, CQ_RING_ENTRIES_OFFSET);
        cqMask = ring.get(JAVA_INT, CQ_RING_MASK_OFFSET);
        features = ring.get(JAVA_INT, FEATURES_OFFSET);
        this.options = options;
        enterFd = registeredRing ? ring.get(JAVA_INT, ENTER_RING_FD_OFFSET) : ring.get(JAVA_INT, RING_FD_OFFSET);
        enterFlags = registeredRing ? EnterCalls.ENTER_REGISTERED_RING : 0;
        deferTaskrun = (options & OPTION_DEFER_TASKRUN) != 0;

        // Pointers into the kernel's mappings: valid until io_uring_queue_exit, which only close() calls.
        sqHead = pointer(ring, SQ_KHEAD_OFFSET, Integer.BYTES);
        sqTail = pointer(ring, SQ_KTAIL_OFFSET, Integer.BYTES);
        sqFlags = pointer(ring, SQ_KFLAGS_OFFSET, Integer.BYTES);
        sqes = pointer(ring, SQ_SQES_OFFSET, (long)sqEntries << SQE_SHIFT);
        cqHead = pointer(ring, CQ_KHEAD_OFFSET, Integer.BYTES);
        cqTail = pointer(ring, CQ_KTAIL_OFFSET, Integer.BYTES);
        cqes = pointer(ring, CQ_CQES_OFFSET, (long)cqEntries << CqeDescriptor.CQE_SHIFT);

        // SQ slot i always holds SQE i: the indirection array is written once here, never per
        // operation (liburing 2.3 does the same at set-up; writing it again costs nothing).
        final MemorySegment array = pointer(ring, SQ_ARRAY_OFFSET, (long)sqEntries * Integer.BYTES);
        for (int i = 0; i < sqEntries; i++)
        {
            array.setAtIndex(JAVA_INT, i, i);
        }

        sqeTail = (int)INT.getAcquire(sqTail, 0L);
        publishedTail = sqeTail;
        sqHeadCached = (int)INT.getAcquire(sqHead, 0L);
        cqHeadLocal = (int)INT.getAcquire(cqHead, 0L);
    }

    /**
     * The {@code lengthBytes} of memory a pointer field of {@code struct io_uring} points at. Read as an
     * address, not through an address layout with a target (which spins method-handle classes on first use).
     */
    private static MemorySegment pointer(final MemorySegment ring, final long fieldOffset, final long lengthBytes)
    {
        return MemorySegment.ofAddress(ring.get(JAVA_LONG, fieldOffset)).reinterpret(lengthBytes);
    }

    /**
     * Creates a ring with at least {@code entries} submission slots (rounded up to a power of two by the
     * kernel; the completion ring gets twice as many), set up with {@link #DEFAULT_OPTIONS}.
     *
     * @throws UringUnavailableException when io_uring cannot be used here, with {@link #unavailableReason()}.
     * @throws UringException            when set-up fails for another reason.
     */
    public static Ring create(final int entries) throws IOException
    {
        return create(entries, DEFAULT_OPTIONS);
    }

    /**
     * As {@link #create(int)} with set-up options ({@code OPTION_*} bits, 0 for a plain ring). The
     * options are for speed only: when the kernel refuses them (EINVAL, older than the option), the ring
     * is set up with {@link #OPTION_COOP_TASKRUN} alone, and when that is refused too, without options;
     * {@link #setupOptions()} says which.
     */
    public static Ring create(final int entries, final int options) throws IOException
    {
        if ((options & ~(OPTION_SINGLE_ISSUER | OPTION_DEFER_TASKRUN | OPTION_COOP_TASKRUN)) != 0)
        {
            throw new IllegalArgumentException("unknown ring options 0x" + Integer.toHexString(options));
        }
        if ((options & OPTION_DEFER_TASKRUN) != 0 && (options & OPTION_COOP_TASKRUN) != 0)
        {
            throw new IllegalArgumentException("OPTION_DEFER_TASKRUN and OPTION_COOP_TASKRUN exclude each other");
        }
        if (entries < 1 || entries > MAX_ENTRIES)
        {
            throw new IllegalArgumentException("entries must be 1.." + MAX_ENTRIES + ", not " + entries);
        }
        final String reason = unavailableReason();
        if (reason != null)
        {
            throw new UringUnavailableException(reason);
        }
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment ring = arena.allocate(IoUringDescriptor.IO_URING_BYTES, IoUringDescriptor.ALIGNMENT);
            final MemorySegment params = arena.allocate(IoUringDescriptor.PARAMS_BYTES, IoUringDescriptor.ALIGNMENT);
            int applied = (options & OPTION_DEFER_TASKRUN) != 0 ? options | OPTION_SINGLE_ISSUER : options;
            int ret = queueInit(entries, ring, params, applied);
            while (ret == -Errno.EINVAL && applied != 0)
            {
                // A kernel older than an option (COOP_TASKRUN 5.19, SINGLE_ISSUER 6.0, DEFER_TASKRUN 6.1):
                // the same ring with COOP_TASKRUN alone, then with no option.
                applied = applied == OPTION_COOP_TASKRUN ? 0 : OPTION_COOP_TASKRUN;
                ret = queueInit(entries, ring, params, applied);
            }
            if (ret < 0)
            {
                final int errno = -ret;
                if (errno == Errno.ENOMEM || errno == Errno.EPERM || errno == Errno.ENOSYS)
                {
                    throw new UringUnavailableException(reasonForSetupErrno(errno, readIoUringDisabled()));
                }
                throw UringException.forCall("io_uring_queue_init_params", ret, null);
            }
            final int setupFlags = params.get(JAVA_INT, IoUringDescriptor.PARAMS_FLAGS_OFFSET);
            if ((setupFlags & (IoUringDescriptor.SETUP_SQE128 | IoUringDescriptor.SETUP_CQE32)) != 0)
            {
                Liburing.io_uring_queue_exit(ring);
                throw new IllegalStateException("the kernel set up 128-byte SQEs or 32-byte CQEs unasked");
            }
            // The registered-ring table is per thread: only a single-issuer ring is used by the thread
            // that registers it here. Failure (a full table) just leaves the plain fd in use.
            final boolean registeredRing = (applied & OPTION_SINGLE_ISSUER) != 0 && EnterCalls.registerRingFd(ring) == 1;
            return new Ring(arena, ring, applied, registeredRing);
        }
        catch (final IOException | RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    /**
     * Whether io_uring works here: null when it does, else one sentence with the reason and the fix.
     * Probed once (by loading liburing and setting up and closing a 2-entry ring) and cached; never throws.
     */
    public static String unavailableReason()
    {
        return Probe.REASON;
    }

    /**
     * Links the native calls that setting up and driving a ring makes (liburing's set-up and teardown,
     * io_uring_enter, and for {@link #OPTION_SINGLE_ISSUER} in {@code options} the ring-fd registration)
     * and probes io_uring, now rather than at first use: each downcall handle costs milliseconds of
     * start-up that no AOT cache keeps, so a short command has a background thread do this while its main
     * thread starts up. Idempotent and thread-safe (class initialisation); never throws (a missing
     * liburing shows in {@link #unavailableReason()}).
     */
    public static void linkNativeCalls(final int options)
    {
        Libc.link();
        if (unavailableReason() != null)
        {
            return;
        }
        try
        {
            // In the order Ring.create and a copy need them: a thread that catches up with this one
            // waits for the handle being linked, then links the next ones itself, in parallel. The
            // registration calls need none (Libc's system-call handle).
            final MethodHandle setup = Liburing.io_uring_queue_init_params$handle();
            // One harmless call through each handle a ring's set-up and submit use: the first call at a call site
            // spins invoker classes, which a job's thread would otherwise spin right before its first read. Zero
            // entries are refused (EINVAL) before liburing touches the struct; fd -1 is refused (EBADF).
            try (Arena scratch = Arena.ofConfined())
            {
                Liburing.io_uring_queue_init_params(0, scratch.allocate(IoUringDescriptor.IO_URING_BYTES, IoUringDescriptor.ALIGNMENT),
                    scratch.allocate(IoUringDescriptor.PARAMS_BYTES, IoUringDescriptor.ALIGNMENT));
            }
            EnterCalls.enterNonBlocking(-1, 0, 0);
            if ((options & (OPTION_SINGLE_ISSUER | OPTION_DEFER_TASKRUN)) != 0)
            {
                EnterCalls.linkRegisterRingFd();
            }
            final MethodHandle exit = Liburing.io_uring_queue_exit$handle();
        }
        catch (final LinkageError | RuntimeException ex)
        {
            // The ring's own set-up reports the problem when it gets there.
        }
    }

    /** Transparent huge page size on x86_64: the alignment {@link #allocateBuffers} gives its buffers' mapping. */
    static final long HUGE_PAGE_BYTES = 2L << 20;

    /**
     * {@code count} zeroed buffers of {@code bytesEach} (a multiple of {@link #BUFFER_ALIGNMENT_BYTES}), aligned for
     * O_DIRECT, adjacent in one anonymous mapping that starts on a huge-page boundary and is advised for transparent
     * huge pages ({@link Libc#adviseHugePages}); the mapping is unmapped when {@code arena} closes. For a ring's
     * registered buffers: registering them faults them in, which in 4 KiB pages costs some 20 us a page on a
     * virtual machine (a job's 16 MiB: about 80 ms of its start-up), in 2 MiB pages next to nothing.
     */
    public static MemorySegment[] allocateBuffers(final Arena arena, final int count, final long bytesEach) throws IOException
    {
        if (count < 1 || bytesEach < 1 || bytesEach % BUFFER_ALIGNMENT_BYTES != 0)
        {
            throw new IllegalArgumentException("buffers must be at least one, each a positive multiple of " +
                BUFFER_ALIGNMENT_BYTES + " bytes, not " + count + " of " + bytesEach);
        }
        final long total = Math.multiplyExact(count, bytesEach);
        // Room to start on a huge-page boundary: the kernel uses huge pages only for aligned 2 MiB ranges.
        final long mappedBytes = total + HUGE_PAGE_BYTES - BUFFER_ALIGNMENT_BYTES;
        final MemorySegment mapping = Libc.mapAnonymous(mappedBytes);
        final MemorySegment owned;
        try
        {
            owned = mapping.reinterpret(mappedBytes, arena, Ring::unmapQuietly);
        }
        catch (final RuntimeException ex)
        {
            Libc.unmap(mapping);
            throw ex;
        }
        final MemorySegment usable = owned.asSlice((HUGE_PAGE_BYTES - mapping.address() % HUGE_PAGE_BYTES) % HUGE_PAGE_BYTES, total);
        Libc.adviseHugePages(usable);
        final MemorySegment[] buffers = new MemorySegment[count];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = usable.asSlice(i * bytesEach, bytesEach);
        }
        return buffers;
    }

    private static void unmapQuietly(final MemorySegment mapping)
    {
        try
        {
            Libc.unmap(mapping);
        }
        catch (final IOException ex)
        {
            // Only EINVAL for a range that is not a mapping, which this one is: nothing to tell anyone.
        }
    }

    /** Allocates a zeroed buffer aligned to {@link #BUFFER_ALIGNMENT_BYTES}, as O_DIRECT needs. */
    public static MemorySegment allocateBuffer(final Arena arena, final long lengthBytes)
    {
        return arena.allocate(lengthBytes, BUFFER_ALIGNMENT_BYTES);
    }

    /** The {@code OPTION_*} bits the ring was set up with (0 when the kernel refused those asked for). */
    public int setupOptions()
    {
        return options;
    }

    /** Whether io_uring_enter is given the registered ring index instead of the fd. */
    boolean registeredRingForTest()
    {
        return enterFlags != 0;
    }

    /** Submission slots (a power of two, at least what was asked for). */
    public int sqEntries()
    {
        return sqEntries;
    }

    /** Completion slots (twice {@link #sqEntries()} by default). */
    public int cqEntries()
    {
        return cqEntries;
    }

    /** The IORING_FEAT_* bits the kernel reported at set-up. */
    public int features()
    {
        return features;
    }

    /** Operations prepared but not yet submitted. */
    public int preparedCount()
    {
        return sqeTail - publishedTail;
    }

    /**
     * Forgets the operations prepared since the last submit (they never reach the kernel); returns how
     * many. For abandoning a half-built batch after an error.
     */
    public int discardPrepared()
    {
        final int discarded = sqeTail - publishedTail;
        sqeTail = publishedTail;
        return discarded;
    }

    /** Completions waiting in the CQ ring (a snapshot). */
    public int completionsReady()
    {
        checkOpen();
        return (int)INT.getAcquire(cqTail, 0L) - cqHeadLocal;
    }

    /**
     * Registers buffers for READ_FIXED/WRITE_FIXED; buffer index = array index. Replaces buffers
     * registered before (only when nothing is in flight on them). Each buffer must be native memory of at
     * most 1 GiB; at most 16384 buffers.
     */
    public void registerBuffers(final MemorySegment[] buffers) throws IOException
    {
        checkOpen();
        if (buffers.length == 0 || buffers.length > MAX_REGISTERED_BUFFERS)
        {
            throw new IllegalArgumentException("between 1 and " + MAX_REGISTERED_BUFFERS +
                " buffers can be registered, not " + buffers.length);
        }
        final long[] addresses = new long[buffers.length];
        final long[] lengths = new long[buffers.length];
        for (int i = 0; i < buffers.length; i++)
        {
            final MemorySegment buffer = buffers[i];
            if (!buffer.isNative() || buffer.byteSize() == 0 || buffer.byteSize() > MAX_REGISTERED_BUFFER_BYTES)
            {
                throw new IllegalArgumentException("buffer " + i + " must be native memory of 1 byte to 1 GiB, not " +
                    (buffer.isNative() ? buffer.byteSize() + " bytes" : "a heap segment"));
            }
            addresses[i] = buffer.address();
            lengths[i] = buffer.byteSize();
        }
        if (bufferAddresses.length > 0)
        {
            unregisterBuffers();
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment iovecs = call.allocate((long)IOVEC_BYTES * buffers.length, 8);
            for (int i = 0; i < buffers.length; i++)
            {
                iovecs.set(JAVA_LONG, (long)IOVEC_BYTES * i + IOVEC_BASE_OFFSET, addresses[i]);
                iovecs.set(JAVA_LONG, (long)IOVEC_BYTES * i + IOVEC_LEN_OFFSET, lengths[i]);
            }
            final int ret = Libc.ioUringRegister(ringFd(), IORING_REGISTER_BUFFERS, iovecs, buffers.length);
            if (ret < 0)
            {
                throw UringException.forCall("io_uring_register_buffers", ret, null);
            }
        }
        bufferAddresses = addresses;
        bufferLengths = lengths;
    }

    /** Unregisters the buffers registered with {@link #registerBuffers}; nothing when there are none. */
    public void unregisterBuffers() throws IOException
    {
        checkOpen();
        if (bufferAddresses.length == 0)
        {
            return;
        }
        final int ret = Libc.ioUringRegister(ringFd(), IORING_UNREGISTER_BUFFERS, MemorySegment.NULL, 0);
        bufferAddresses = new long[0];
        bufferLengths = new long[0];
        if (ret < 0)
        {
            throw UringException.forCall("io_uring_unregister_buffers", ret, null);
        }
    }

    /**
     * Registers file descriptors; file index = array index, used as {@code fd} with
     * {@code fixedFile == true}. Replaces files registered before. The ring holds its own reference:
     * closing an fd after registering it does not close the registered file until the ring is closed.
     */
    public void registerFiles(final int[] fds) throws IOException
    {
        checkOpen();
        if (fds.length == 0)
        {
            throw new IllegalArgumentException("at least one file descriptor must be registered");
        }
        if (registeredFiles > 0)
        {
            unregisterFiles();
        }
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment files = call.allocateFrom(JAVA_INT, fds);
            // liburing 2.3 retries EMFILE once after raising RLIMIT_NOFILE; a ring registers a handful of files.
            final int ret = Libc.ioUringRegister(ringFd(), IORING_REGISTER_FILES, files, fds.length);
            if (ret < 0)
            {
                throw UringException.forCall("io_uring_register_files", ret, null);
            }
        }
        registeredFiles = fds.length;
    }

    /** Unregisters the files registered with {@link #registerFiles}; nothing when there are none. */
    public void unregisterFiles() throws IOException
    {
        checkOpen();
        if (registeredFiles == 0)
        {
            return;
        }
        final int ret = Libc.ioUringRegister(ringFd(), IORING_UNREGISTER_FILES, MemorySegment.NULL, 0);
        registeredFiles = 0;
        if (ret < 0)
        {
            throw UringException.forCall("io_uring_unregister_files", ret, null);
        }
    }

    /**
     * Prepares a read of {@code lengthBytes} at {@code offsetBytes} of {@code fd} (a registered-file
     * index when {@code fixedFile}) into {@code buffer}; false when the SQ is full (submit first).
     */
    public boolean prepareRead(
        final int fd,
        final boolean fixedFile,
        final MemorySegment buffer,
        final int lengthBytes,
        final long offsetBytes,
        final long userData)
    {
        if (CHECKS)
        {
            checkTransfer(fd, fixedFile, buffer, lengthBytes);
        }
        return prepare(OP_READ, fixedFile, fd, offsetBytes, buffer.address(), lengthBytes, 0, userData, 0);
    }

    /** As {@link #prepareRead} but writes {@code buffer} to the file. */
    public boolean prepareWrite(
        final int fd,
        final boolean fixedFile,
        final MemorySegment buffer,
        final int lengthBytes,
        final long offsetBytes,
        final long userData)
    {
        if (CHECKS)
        {
            checkTransfer(fd, fixedFile, buffer, lengthBytes);
        }
        return prepare(OP_WRITE, fixedFile, fd, offsetBytes, buffer.address(), lengthBytes, 0, userData, 0);
    }

    /**
     * As {@link #prepareRead} into (part of) registered buffer {@code bufferIndex}: {@code buffer} must
     * lie inside it. Saves the kernel pinning the pages for each operation.
     */
    public boolean prepareReadFixed(
        final int fd,
        final boolean fixedFile,
        final MemorySegment buffer,
        final int lengthBytes,
        final long offsetBytes,
        final int bufferIndex,
        final long userData)
    {
        if (CHECKS)
        {
            checkTransfer(fd, fixedFile, buffer, lengthBytes);
            checkRegisteredBuffer(buffer, lengthBytes, bufferIndex);
        }
        return prepare(OP_READ_FIXED, fixedFile, fd, offsetBytes, buffer.address(), lengthBytes, 0, userData,
            bufferIndex);
    }

    /** As {@link #prepareWrite} from (part of) registered buffer {@code bufferIndex}. */
    public boolean prepareWriteFixed(
        final int fd,
        final boolean fixedFile,
        final MemorySegment buffer,
        final int lengthBytes,
        final long offsetBytes,
        final int bufferIndex,
        final long userData)
    {
        if (CHECKS)
        {
            checkTransfer(fd, fixedFile, buffer, lengthBytes);
            checkRegisteredBuffer(buffer, lengthBytes, bufferIndex);
        }
        return prepare(OP_WRITE_FIXED, fixedFile, fd, offsetBytes, buffer.address(), lengthBytes, 0, userData,
            bufferIndex);
    }

    /** Prepares an fsync, or an fdatasync when {@code dataOnly}. */
    public boolean prepareFsync(final int fd, final boolean fixedFile, final boolean dataOnly, final long userData)
    {
        if (CHECKS)
        {
            checkFile(fd, fixedFile);
        }
        return prepare(OP_FSYNC, fixedFile, fd, 0L, 0L, 0, dataOnly ? IORING_FSYNC_DATASYNC : 0, userData, 0);
    }

    /**
     * Prepares {@code fallocate(fd, mode, offsetBytes, lengthBytes)} ({@code FALLOC_FL_*} mode bits).
     * As in liburing's io_uring_prep_fallocate, the SQE carries the mode in {@code len} and the length in
     * {@code addr}.
     */
    public boolean prepareFallocate(
        final int fd,
        final boolean fixedFile,
        final int mode,
        final long offsetBytes,
        final long lengthBytes,
        final long userData)
    {
        if (CHECKS)
        {
            checkFile(fd, fixedFile);
            if (offsetBytes < 0 || lengthBytes <= 0)
            {
                throw new IllegalArgumentException("fallocate needs offset >= 0 and length > 0, not " +
                    offsetBytes + " and " + lengthBytes);
            }
        }
        return prepare(OP_FALLOCATE, fixedFile, fd, offsetBytes, lengthBytes, mode, 0, userData, 0);
    }

    /** Prepares a no-op: completes with res 0 (for measuring the ring itself). */
    public boolean prepareNop(final long userData)
    {
        return prepare(OP_NOP, false, -1, 0L, 0L, 0, 0, userData, 0);
    }

    /**
     * Submits everything prepared with one syscall (none when nothing is pending); returns the number
     * of SQEs the kernel consumed.
     *
     * @throws UringException for a failed io_uring_enter (e.g. EBUSY while the CQ is overflowing: reap
     *                        first, then submit again; prepared SQEs stay queued).
     */
    public int submit() throws IOException
    {
        return enter(0);
    }

    /**
     * Submits everything prepared and waits until at least {@code waitNr} completions are in the CQ
     * ring (counting those already there). One syscall.
     */
    public int submitAndWait(final int waitNr) throws IOException
    {
        if (waitNr < 0)
        {
            throw new IllegalArgumentException("waitNr must be >= 0, not " + waitNr);
        }
        return enter(waitNr);
    }

    /**
     * Hands up to {@code max} completions, oldest first, to {@code handler} and frees their CQ slots;
     * returns how many. Never blocks, never allocates. A completion whose handler throws counts as
     * reaped. Not re-entrant: a handler must not call reap.
     */
    public int reap(final CompletionHandler handler, final int max)
    {
        checkOpen();
        final MemorySegment cqes = this.cqes;
        final int mask = cqMask;
        final int head = cqHeadLocal;
        final int ready = (int)INT.getAcquire(cqTail, 0L) - head;
        final int count = Math.min(ready, max);
        int done = 0;
        try
        {
            while (done < count)
            {
                final long base = (long)((head + done) & mask) << CqeDescriptor.CQE_SHIFT;
                // CQEs are 16-byte aligned: the unaligned layouts only spare the JIT an alignment check.
                final long userData = cqes.get(JAVA_LONG_UNALIGNED, base + CqeDescriptor.USER_DATA_OFFSET);
                final int res = cqes.get(JAVA_INT_UNALIGNED, base + CqeDescriptor.RES_OFFSET);
                final int flags = cqes.get(JAVA_INT_UNALIGNED, base + CqeDescriptor.FLAGS_OFFSET);
                done++;
                handler.onCompletion(userData, res, flags);
            }
        }
        finally
        {
            if (done > 0)
            {
                cqHeadLocal = head + done;
                // Release: our reads of the CQEs happen before the kernel may reuse their slots.
                INT.setRelease(cqHead, 0L, head + done);
            }
        }
        return count;
    }

    /** Tears the ring down (io_uring_queue_exit); idempotent. In-flight operations are cancelled. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (registeredFiles > 0)
        {
            // The kernel drops registered files in the ring's asynchronous teardown, some milliseconds
            // after io_uring_queue_exit returns (even after the process has exited): a block device
            // opened O_EXCL stays claimed until then, and whoever opens it next gets EBUSY (blkdiscard
            // right after presync copy failed 3 times in 10). Unregistered, they are released before
            // the call returns. Through the raw system call: no downcall handle is spun for it.
            Libc.ioUringRegister(ringFd(), IORING_UNREGISTER_FILES, MemorySegment.NULL, 0);
            registeredFiles = 0;
        }
        Liburing.io_uring_queue_exit(ring);
        arena.close();
    }

    /** liburing's {@code ring->ring_fd}, which its registration wrappers pass to io_uring_register(2). */
    private int ringFd()
    {
        return ring.get(JAVA_INT, RING_FD_OFFSET);
    }

    /** The mapped SQE array (tests inspect prepared SQEs). */
    MemorySegment sqesForTest()
    {
        return sqes;
    }

    /** liburing's struct io_uring (tests cross-check against liburing's own SQ bookkeeping). */
    MemorySegment ringStructForTest()
    {
        return ring;
    }

    /** Index of the next SQ slot to fill. */
    int sqeTailForTest()
    {
        return sqeTail;
    }

    private boolean prepare(
        final byte opcode,
        final boolean fixedFile,
        final int fd,
        final long off,
        final long addr,
        final int len,
        final int opFlags,
        final long userData,
        final int bufIndex)
    {
        checkOpen();
        final int tail = sqeTail;
        if (tail - sqHeadCached >= sqEntries && isSqFull(tail))
        {
            return false;
        }
        SqeDescriptor.fill(sqes, (long)(tail & sqMask) << SQE_SHIFT, opcode, fixedFile ? IOSQE_FIXED_FILE : 0,
            fd, off, addr, len, opFlags, userData, (short)bufIndex);
        sqeTail = tail + 1;
        return true;
    }

    /** Slow path: the cached SQ head says full; ask the kernel how far it has consumed. */
    private boolean isSqFull(final int tail)
    {
        sqHeadCached = (int)INT.getAcquire(sqHead, 0L);
        return tail - sqHeadCached >= sqEntries;
    }

    private int enter(final int waitNr) throws IOException
    {
        checkOpen();
        final int tail = sqeTail;
        if (tail != publishedTail)
        {
            // Release: the SQE stores above happen before the kernel can see the new tail.
            INT.setRelease(sqTail, 0L, tail);
            // liburing's own bookkeeping, kept in step for anyone calling liburing on this ring.
            ring.set(JAVA_INT, SQ_SQE_HEAD_OFFSET, tail);
            ring.set(JAVA_INT, SQ_SQE_TAIL_OFFSET, tail);
            publishedTail = tail;
        }
        // The kernel moved the SQ head during our last enter, on this thread: a plain read sees it.
        final int toSubmit = tail - (int)INT.get(sqHead, 0L);
        int submitted = 0;
        // With nothing to submit, a wait does the flushing itself (GETEVENTS runs deferred task work).
        if (toSubmit > 0 || (waitNr == 0 && (deferTaskrun || needsFlush())))
        {
            // Submitting never sleeps (the kernel punts blocking work to its workers) and GETEVENTS
            // with min_complete 0 only flushes: the cheap critical downcall.
            final int flags = enterFlags | (deferTaskrun || toSubmit == 0 ? EnterCalls.ENTER_GETEVENTS : 0);
            int ret;
            do
            {
                ret = EnterCalls.enterNonBlocking(enterFd, toSubmit, flags);
            }
            while (ret == -Errno.EINTR);
            if (ret < 0)
            {
                throw UringException.forCall("io_uring_enter", ret, null);
            }
            submitted = ret;
        }
        if (waitNr > 0 && (int)INT.getAcquire(cqTail, 0L) - cqHeadLocal < waitNr)
        {
            int ret;
            do
            {
                ret = EnterCalls.enterBlocking(enterFd, 0, waitNr, enterFlags | EnterCalls.ENTER_GETEVENTS);
            }
            while (ret == -Errno.EINTR);
            if (ret < 0)
            {
                throw UringException.forCall("io_uring_enter", ret, null);
            }
        }
        return submitted;
    }

    /** The kernel asks us to enter: completions overflowed the CQ, or task work waits (TASKRUN_FLAG). */
    private boolean needsFlush()
    {
        return ((int)INT.getAcquire(sqFlags, 0L) & (SQ_CQ_OVERFLOW | SQ_TASKRUN)) != 0;
    }

    private static int queueInit(final int entries, final MemorySegment ring, final MemorySegment params, final int options)
    {
        final int flags = setupFlagsOf(options);
        if ((flags & refusedSetupFlagsForTest) != 0)
        {
            return -Errno.EINVAL;
        }
        params.fill((byte)0);
        params.set(JAVA_INT, IoUringDescriptor.PARAMS_FLAGS_OFFSET, IoUringDescriptor.SETUP_CLAMP | flags);
        return Liburing.io_uring_queue_init_params(entries, ring, params);
    }

    static int setupFlagsOf(final int options)
    {
        int flags = 0;
        if ((options & OPTION_SINGLE_ISSUER) != 0)
        {
            flags |= SETUP_SINGLE_ISSUER;
        }
        if ((options & OPTION_DEFER_TASKRUN) != 0)
        {
            flags |= SETUP_DEFER_TASKRUN;
        }
        if ((options & OPTION_COOP_TASKRUN) != 0)
        {
            flags |= SETUP_COOP_TASKRUN | SETUP_TASKRUN_FLAG;
        }
        return flags;
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("the ring is closed");
        }
    }

    private void checkFile(final int fd, final boolean fixedFile)
    {
        if (fixedFile ? (fd < 0 || fd >= registeredFiles) : fd < 0)
        {
            throw new IllegalArgumentException(fixedFile ?
                "registered file index " + fd + " is outside 0.." + (registeredFiles - 1) :
                "file descriptor " + fd + " is negative");
        }
    }

    private void checkTransfer(final int fd, final boolean fixedFile, final MemorySegment buffer, final int lengthBytes)
    {
        checkFile(fd, fixedFile);
        if (!buffer.isNative())
        {
            throw new IllegalArgumentException("io_uring needs a native buffer, not a heap segment");
        }
        if (lengthBytes < 0 || lengthBytes > buffer.byteSize())
        {
            throw new IllegalArgumentException("length " + lengthBytes + " does not fit the " + buffer.byteSize() +
                "-byte buffer");
        }
    }

    private void checkRegisteredBuffer(final MemorySegment buffer, final int lengthBytes, final int bufferIndex)
    {
        if (bufferIndex < 0 || bufferIndex >= bufferAddresses.length)
        {
            throw new IllegalArgumentException("registered buffer index " + bufferIndex + " is outside 0.." +
                (bufferAddresses.length - 1));
        }
        final long start = buffer.address() - bufferAddresses[bufferIndex];
        if (start < 0 || start + lengthBytes > bufferLengths[bufferIndex])
        {
            throw new IllegalArgumentException("the " + lengthBytes + " bytes at 0x" + Long.toHexString(buffer.address()) +
                " are not inside registered buffer " + bufferIndex);
        }
    }

    /**
     * The one-sentence reason for an errno from io_uring_setup, given the value of
     * /proc/sys/kernel/io_uring_disabled (null when the kernel has no such sysctl).
     */
    static String reasonForSetupErrno(final int errno, final String ioUringDisabled)
    {
        final String disabled = ioUringDisabled == null ? null : ioUringDisabled.strip();
        return switch (errno)
        {
            case Errno.ENOSYS -> "io_uring is not available: the running kernel (Linux " +
                System.getProperty("os.version") + ") has no io_uring_setup system call (ENOSYS); " +
                "use Linux 5.6 or newer built with CONFIG_IO_URING.";
            case Errno.EPERM -> switch (disabled == null ? "" : disabled)
            {
                case "2" -> "io_uring is disabled on this machine by sysctl kernel.io_uring_disabled=2; " +
                    "enable it with 'sysctl -w kernel.io_uring_disabled=0'.";
                case "1" -> "io_uring is restricted by sysctl kernel.io_uring_disabled=1 to members of " +
                    "kernel.io_uring_group; run as root, join that group, or set the sysctl to 0.";
                default -> "io_uring_setup was refused with EPERM although no sysctl disables io_uring, most " +
                    "likely by a seccomp filter (container runtimes block io_uring by default); allow the " +
                    "io_uring_setup, io_uring_enter and io_uring_register system calls.";
            };
            case Errno.ENOMEM -> "io_uring_setup failed with ENOMEM: the locked-memory limit (ulimit -l) " +
                "is too small for the ring; raise it (LimitMEMLOCK=infinity in a systemd unit) or run as root.";
            default -> "io_uring_setup failed with " + Errno.describe(errno) + ".";
        };
    }

    static String readIoUringDisabled()
    {
        try
        {
            return Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled"));
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * Loads liburing, then sets up and closes a 2-entry ring with the bare system call; returns null or
     * the reason it failed. Never throws. No liburing call is made, so the probe costs no downcall
     * handles (milliseconds each) that the ring's own set-up might not need yet.
     */
    static String probe()
    {
        final String forced = System.getProperty(UNAVAILABLE_PROPERTY);
        if (forced != null && !forced.isBlank())
        {
            return "io_uring is turned off for this process by -D" + UNAVAILABLE_PROPERTY + " (" + forced.strip() + ").";
        }
        try (Arena probe = Arena.ofConfined())
        {
            // Typically liburing.so.2 missing: libraryLookup throws IllegalArgumentException.
            SymbolLookup.libraryLookup("liburing.so.2", probe);
            final MemorySegment params = probe.allocate(IoUringDescriptor.PARAMS_BYTES, IoUringDescriptor.ALIGNMENT);
            final int fd = Libc.ioUringSetup(2, params);
            if (fd < 0)
            {
                return reasonForSetupErrno(-fd, readIoUringDisabled());
            }
            Libc.close(fd);
            return null;
        }
        catch (final LinkageError | RuntimeException | IOException ex)
        {
            final Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
            return "liburing.so.2 could not be loaded (" + cause.getMessage() + "); install the liburing2 package.";
        }
    }

    private static final class Probe
    {
        static final String REASON = probe();
    }
}
