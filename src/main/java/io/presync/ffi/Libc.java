package io.presync.ffi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * libc downcalls through {@link Linker} with errno captured by {@code Linker.Option.captureCallState}
 * (reading errno after the call from Java would see whatever the JVM did in between). Failures
 * become typed {@link IOException}s through {@link Errno}, the one errno mapper.
 * <p>
 * Method handles are built once, each on first use (a holder class per function, so a command
 * that needs three calls does not pay for linking twelve); every thread owns one scratch segment holding the captured state,
 * a {@code struct stat} and a 16-byte argument block for ioctls, so a call allocates nothing except
 * where a path has to become a C string. Constants are the Linux x86_64 values, checked against the
 * C headers by {@code LibcConstantsTest}. Calls interrupted by a signal (EINTR) are retried, except
 * {@code close}, which Linux never allows to be retried.
 */
public final class Libc
{
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECT = 040000;
    public static final int O_CLOEXEC = 02000000;

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;

    public static final int SEEK_SET = 0;
    public static final int SEEK_DATA = 3;
    public static final int SEEK_HOLE = 4;

    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;

    /** {@code _IOR(0x12, 114, size_t)}: device size in bytes (u64). */
    public static final long BLKGETSIZE64 = 0x80081272L;
    /** {@code _IO(0x12, 104)}: logical sector size (int). */
    public static final long BLKSSZGET = 0x1268L;
    /** {@code _IO(0x12, 123)}: physical sector size (unsigned int). */
    public static final long BLKPBSZGET = 0x127bL;
    /** {@code _IO(0x12, 119)}: discard a byte range (u64[2] = {start, length}). */
    public static final long BLKDISCARD = 0x1277L;
    /** {@code _IO(0x12, 127)}: write zeroes to a byte range (u64[2] = {start, length}). */
    public static final long BLKZEROOUT = 0x127fL;

    // struct stat on x86_64 (glibc 2.36, asm-generic is different: these are the x86_64 ones).
    static final long STAT_BYTES = 144;
    static final long STAT_MODE_OFFSET = 24;
    static final long STAT_RDEV_OFFSET = 40;
    static final long STAT_SIZE_OFFSET = 48;
    static final long STAT_BLKSIZE_OFFSET = 56;
    static final long STAT_BLOCKS_OFFSET = 64;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    /**
     * Where errno lies in the captured state ({@link Linker.Option#captureStateLayout()}, whose only member on Linux
     * it is), read with a plain {@code get}: a var handle for it, or asking the layout for the offset, initialises the
     * JDK's layout paths, which spin method-handle classes (some 35 ms of the start-up link thread, ahead of the
     * system-call handle the first device open waits for). LibcTest checks it against the layout.
     */
    static final long ERRNO_OFFSET = 0;


    // x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl; ABI, never renumbered).
    static final long SYS_LSEEK = 8;
    static final long SYS_MMAP = 9;
    static final long SYS_MUNMAP = 11;
    static final long SYS_MADVISE = 28;
    static final long SYS_CLOSE = 3;
    static final long SYS_FSTAT = 5;
    static final long SYS_IOCTL = 16;
    static final long SYS_PREAD64 = 17;
    static final long SYS_PWRITE64 = 18;
    static final long SYS_FSYNC = 74;
    static final long SYS_OPENAT = 257;
    static final long SYS_NEWFSTATAT = 262;
    static final long SYS_SCHED_SETAFFINITY = 203;
    static final long SYS_FALLOCATE = 285;
    static final long SYS_GETCPU = 309;
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;
    static final long SYS_IO_URING_REGISTER = 427;
    static final long AT_FDCWD = -100;

    /**
     * {@code long syscall(long number, ...)}: one downcall handle for every system call that takes integer
     * and pointer arguments. The JDK spins a stub class and some thirty method-handle classes for each
     * distinct function shape, about 8 ms of start-up per shape that no AOT cache keeps; a copy needs
     * eight calls (stat, open, fstat, ioctl, fsync, close, mmap, munmap), which as glibc wrappers of
     * eight shapes cost some 60 ms before the first byte moves. Through syscall(2) they share one shape
     * (the handle cache is keyed by shape; the symbol is bound to it). glibc's syscall() returns -1
     * and sets errno like the wrappers do, and every argument is a 64-bit register on x86_64, so
     * ints and pointers (as addresses) pass as longs; unused trailing arguments are ignored by the kernel.
     */
    private static final class Syscall
    {
        static final MethodHandle HANDLE = downcall("syscall", FunctionDescriptor.of(JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            ERRNO, Linker.Option.firstVariadicArg(1));
    }

    /** strerror_r(): linked on first use (each downcall handle costs milliseconds to spin up). */
    private static final class StrerrorR
    {
        static final MethodHandle HANDLE = downcall("strerror_r",
        FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    /** glibc's {@code cpu_set_t}: 1024 bits. */
    static final int CPU_SET_BYTES = 128;

    /** Per-thread native scratch: captured call state, a struct stat, a 16-byte ioctl argument, a cpu_set_t. */
    private static final class Scratch
    {
        final MemorySegment capture;
        final MemorySegment stat;
        final MemorySegment argument;
        final MemorySegment cpuSet;

        Scratch()
        {
            final Arena arena = Arena.ofAuto();
            capture = arena.allocate(CAPTURE_LAYOUT);
            stat = arena.allocate(STAT_BYTES, 8);
            argument = arena.allocate(16, 8);
            cpuSet = arena.allocate(CPU_SET_BYTES, 8);
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Libc()
    {
    }

    /** syscall(number, a..d) with errno captured into {@code capture}; -1 on failure. */
    private static long syscall(final MemorySegment capture, final long number, final long a, final long b, final long c,
        final long d) throws Throwable
    {
        return (long)Syscall.HANDLE.invokeExact(capture, number, a, b, c, d, 0L, 0L);
    }

    private static long syscall6(final MemorySegment capture, final long number, final long a, final long b, final long c,
        final long d, final long e, final long f) throws Throwable
    {
        return (long)Syscall.HANDLE.invokeExact(capture, number, a, b, c, d, e, f);
    }

    /**
     * A system call whose failure the caller handles itself: what the kernel returns, or the negative errno
     * (as liburing's raw wrappers do); never throws for an errno.
     */
    private static int rawSyscall(final String name, final long number, final long a, final long b, final long c,
        final long d)
    {
        final MemorySegment capture = SCRATCH.get().capture;
        final long result;
        try
        {
            result = syscall(capture, number, a, b, c, d);
        }
        catch (final Throwable t)
        {
            throw new AssertionError(name + " downcall failed", t);
        }
        return result == -1 ? -errno(capture) : (int)result;
    }

    private static MethodHandle downcall(final String name, final FunctionDescriptor descriptor, final Linker.Option... options)
    {
        final MemorySegment symbol = LIBC.find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    private static int errno(final MemorySegment capture)
    {
        return capture.get(JAVA_INT, ERRNO_OFFSET);
    }

    private static IOException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException re)
        {
            throw re;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        return new IOException(t);
    }

    /**
     * Links the system-call downcall now rather than at the first call: a command can have a
     * background thread pay its start-up cost (see {@link Syscall}) while the main thread does other
     * work. Also makes one harmless call ({@code getcpu} with nowhere to store the answer): the first
     * call through a handle spins the invoker classes of its call site, which then need not be spun on
     * the thread that opens the first device. Idempotent and thread-safe; never throws.
     */
    public static void link()
    {
        final MethodHandle ignored = Syscall.HANDLE;
        rawSyscall("getcpu", SYS_GETCPU, 0L, 0L, 0L, 0L);
    }

    /** {@code open(2)}; returns the file descriptor. */
    public static int open(final String path, final int flags, final int mode) throws IOException
    {
        final MemorySegment capture = SCRATCH.get().capture;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment cPath = arena.allocateFrom(path);
            while (true)
            {
                final int fd = (int)syscall(capture, SYS_OPENAT, AT_FDCWD, cPath.address(), flags, mode);
                if (fd >= 0)
                {
                    return fd;
                }
                final int errno = errno(capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("open", path, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** {@code close(2)}; never retried (on Linux the descriptor is gone even when close fails). */
    public static void close(final int fd) throws IOException
    {
        final MemorySegment capture = SCRATCH.get().capture;
        final int result;
        try
        {
            result = (int)syscall(capture, SYS_CLOSE, fd, 0L, 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
        if (result != 0)
        {
            final int errno = errno(capture);
            if (errno != Errno.EINTR)
            {
                throw Errno.exception("close", "fd " + fd, errno);
            }
        }
    }

    /** {@code stat(2)}: follows symbolic links, so {@code /dev/disk/by-id/...} gives the device. */
    public static FileStatus stat(final String path) throws IOException
    {
        final Scratch scratch = SCRATCH.get();
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment cPath = arena.allocateFrom(path);
            while (true)
            {
                final int result = (int)syscall(scratch.capture, SYS_NEWFSTATAT, AT_FDCWD, cPath.address(),
                    scratch.stat.address(), 0L);
                if (result == 0)
                {
                    return statusOf(scratch.stat);
                }
                final int errno = errno(scratch.capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("stat", path, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** {@code fstat(2)}. */
    public static FileStatus fstat(final int fd, final String pathForErrors) throws IOException
    {
        final Scratch scratch = SCRATCH.get();
        final int result;
        try
        {
            result = (int)syscall(scratch.capture, SYS_FSTAT, fd, scratch.stat.address(), 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
        if (result != 0)
        {
            throw Errno.exception("fstat", pathForErrors, errno(scratch.capture));
        }
        return statusOf(scratch.stat);
    }

    private static FileStatus statusOf(final MemorySegment stat)
    {
        return new FileStatus(
            stat.get(JAVA_INT, STAT_MODE_OFFSET),
            stat.get(JAVA_LONG, STAT_RDEV_OFFSET),
            stat.get(JAVA_LONG, STAT_SIZE_OFFSET),
            stat.get(JAVA_LONG, STAT_BLOCKS_OFFSET),
            (int)stat.get(JAVA_LONG, STAT_BLKSIZE_OFFSET));
    }

    /**
     * {@code sched_setaffinity(2)} of the calling thread to the one CPU {@code cpu} (below 1024). When it
     * returns, the thread runs on that CPU (the kernel migrates the caller before returning). EINVAL
     * means the CPU is offline or outside the thread's cpuset.
     */
    public static void pinCurrentThread(final int cpu) throws IOException
    {
        if (cpu < 0 || cpu >= CPU_SET_BYTES * 8)
        {
            throw new IllegalArgumentException("cpu " + cpu + " is outside cpu_set_t (0.." + (CPU_SET_BYTES * 8 - 1) + ")");
        }
        final Scratch scratch = SCRATCH.get();
        final MemorySegment set = scratch.cpuSet;
        set.fill((byte)0);
        set.set(JAVA_LONG, (cpu >>> 6) * 8L, 1L << (cpu & 63));
        try
        {
            // The system call rather than glibc's wrapper (which adds nothing): no downcall shape of its own.
            while ((int)syscall(scratch.capture, SYS_SCHED_SETAFFINITY, 0L, CPU_SET_BYTES, set.address(), 0L) != 0)
            {
                final int errno = errno(scratch.capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("sched_setaffinity", "cpu " + cpu, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code getcpu(2)}: the CPU the calling thread runs on (may change at once unless pinned). The system
     * call rather than glibc's {@code sched_getcpu}, whose vDSO path is faster but needs a downcall shape
     * of its own (milliseconds of start-up); the tap's marker thread asks once per CPU and barrier.
     */
    public static int currentCpu() throws IOException
    {
        final Scratch scratch = SCRATCH.get();
        try
        {
            // unsigned *cpu: the first 4 bytes of the argument block; node and cache are not wanted (NULL).
            if ((int)syscall(scratch.capture, SYS_GETCPU, scratch.argument.address(), 0L, 0L, 0L) != 0)
            {
                throw Errno.exception("getcpu", null, errno(scratch.capture));
            }
            return scratch.argument.get(JAVA_INT, 0);
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code mmap(2)} of {@code lengthBytes} of private anonymous memory, read-write: page aligned and
     * zero, with pages given out by the kernel on first touch (or when io_uring pins them).
     */
    public static MemorySegment mapAnonymous(final long lengthBytes) throws IOException
    {
        if (lengthBytes <= 0)
        {
            throw new IllegalArgumentException("a mapping needs a positive length, not " + lengthBytes);
        }
        final MemorySegment capture = SCRATCH.get().capture;
        final long address;
        try
        {
            address = syscall6(capture, SYS_MMAP, 0L, lengthBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                -1L, 0L);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
        if (address == -1L)
        {
            throw Errno.exception("mmap(" + lengthBytes + " bytes, anonymous)", null, errno(capture));
        }
        return MemorySegment.ofAddress(address).reinterpret(lengthBytes);
    }

    /** {@code MADV_HUGEPAGE}: back the range with transparent huge pages where the kernel can. */
    static final int MADV_HUGEPAGE = 14;

    /**
     * {@code madvise(MADV_HUGEPAGE)} on page-aligned {@code region} of an anonymous mapping, before it is touched:
     * the kernel then faults it in 2 MiB at a time. A first touch costs a page fault per 4 KiB page otherwise,
     * some 20 us each on a virtual machine whose host backs guest memory lazily (80 ms for 16 MiB, against 2 ms
     * with huge pages, measured on the benchmark machine). Advice only: false when the kernel refuses it (no
     * transparent huge pages, or {@code never}), and the memory works the same either way.
     */
    public static boolean adviseHugePages(final MemorySegment region)
    {
        return rawSyscall("madvise", SYS_MADVISE, region.address(), region.byteSize(), MADV_HUGEPAGE, 0L) == 0;
    }

    /** {@code munmap(2)} of a mapping from {@link #mapAnonymous}; nothing may use it afterwards. */
    public static void unmap(final MemorySegment region) throws IOException
    {
        final MemorySegment capture = SCRATCH.get().capture;
        final int result;
        try
        {
            result = (int)syscall(capture, SYS_MUNMAP, region.address(), region.byteSize(), 0L, 0L);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
        if (result != 0)
        {
            throw Errno.exception("munmap(" + region.byteSize() + " bytes)", null, errno(capture));
        }
    }

    /**
     * {@code io_uring_setup(2)} of {@code entries} with {@code params} (a zeroed {@code struct
     * io_uring_params}, which the kernel fills in): the new ring's file descriptor, or a negative errno.
     * Maps nothing (liburing's set-up does that): for probing whether io_uring works here without a
     * downcall handle of its own; close the descriptor with {@link #close}.
     */
    public static int ioUringSetup(final int entries, final MemorySegment params)
    {
        return rawSyscall("io_uring_setup", SYS_IO_URING_SETUP, entries, params.address(), 0L, 0L);
    }

    /**
     * {@code io_uring_register(2)} through the one system-call handle: what the kernel returns, a
     * negative errno on failure; never throws. For the rare registration calls a ring makes where a
     * downcall handle of their own would only add start-up.
     */
    public static int ioUringRegister(final int fd, final int opcode, final MemorySegment argument, final int count)
    {
        return rawSyscall("io_uring_register", SYS_IO_URING_REGISTER, fd, opcode, argument.address(), count);
    }

    /**
     * {@code io_uring_enter(2)} without a signal mask, through the one system-call handle: for a wait
     * that may block, where a downcall handle of its own would only add start-up. Returns what the
     * kernel returns, a negative errno on failure (as liburing's raw wrapper does); never throws,
     * never retries.
     */
    public static int ioUringEnter(final int fd, final int toSubmit, final int minComplete, final int flags)
    {
        return rawSyscall("io_uring_enter", SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags);
    }

    /** {@code fsync(2)}. */
    public static void fsync(final int fd, final String pathForErrors) throws IOException
    {
        final MemorySegment capture = SCRATCH.get().capture;
        try
        {
            while ((int)syscall(capture, SYS_FSYNC, fd, 0L, 0L, 0L) != 0)
            {
                final int errno = errno(capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("fsync", pathForErrors, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code lseek(2)}. With {@link #SEEK_DATA} or {@link #SEEK_HOLE} it returns -1 when there is no
     * further data (ENXIO) instead of throwing.
     */
    public static long lseek(final int fd, final long offset, final int whence) throws IOException
    {
        return lseek(fd, offset, whence, "fd " + fd);
    }

    /** {@link #lseek(int, long, int)} with a path for error messages. */
    public static long lseek(final int fd, final long offset, final int whence, final String pathForErrors)
        throws IOException
    {
        final MemorySegment capture = SCRATCH.get().capture;
        final long result;
        try
        {
            result = syscall(capture, SYS_LSEEK, fd, offset, whence, 0L);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
        if (result >= 0)
        {
            return result;
        }
        final int errno = errno(capture);
        if (errno == Errno.ENXIO && (whence == SEEK_DATA || whence == SEEK_HOLE))
        {
            return -1;
        }
        throw Errno.exception(whence == SEEK_DATA ? "lseek(SEEK_DATA)" : whence == SEEK_HOLE ?
            "lseek(SEEK_HOLE)" : "lseek", pathForErrors, errno);
    }

    /** {@code fallocate(2)}; EOPNOTSUPP and EINVAL become {@link NotSupportedException}. */
    public static void fallocate(final int fd, final int mode, final long offset, final long length,
        final String pathForErrors) throws IOException
    {
        final MemorySegment capture = SCRATCH.get().capture;
        try
        {
            while ((int)syscall(capture, SYS_FALLOCATE, fd, mode, offset, length) != 0)
            {
                final int errno = errno(capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("fallocate(" + fallocateModeName(mode) + ")", pathForErrors, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** An ioctl that writes a 64-bit value (BLKGETSIZE64). */
    public static long ioctlLong(final int fd, final long request, final String pathForErrors) throws IOException
    {
        final Scratch scratch = SCRATCH.get();
        scratch.argument.set(JAVA_LONG, 0, 0L);
        ioctl(scratch, fd, request, pathForErrors);
        return scratch.argument.get(JAVA_LONG, 0);
    }

    /** An ioctl that writes a 32-bit value (BLKSSZGET, BLKPBSZGET). */
    public static int ioctlInt(final int fd, final long request, final String pathForErrors) throws IOException
    {
        final Scratch scratch = SCRATCH.get();
        scratch.argument.set(JAVA_INT, 0, 0);
        ioctl(scratch, fd, request, pathForErrors);
        return scratch.argument.get(JAVA_INT, 0);
    }

    /** An ioctl taking a {@code u64[2] = {offset, length}} byte range (BLKDISCARD, BLKZEROOUT). */
    public static void ioctlRange(final int fd, final long request, final long offset, final long length,
        final String pathForErrors) throws IOException
    {
        final Scratch scratch = SCRATCH.get();
        scratch.argument.set(JAVA_LONG, 0, offset);
        scratch.argument.set(JAVA_LONG, 8, length);
        ioctl(scratch, fd, request, pathForErrors);
    }

    private static void ioctl(final Scratch scratch, final int fd, final long request, final String pathForErrors)
        throws IOException
    {
        try
        {
            while ((int)syscall(scratch.capture, SYS_IOCTL, fd, request, scratch.argument.address(), 0L) != 0)
            {
                final int errno = errno(scratch.capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("ioctl(" + ioctlName(request) + ")", pathForErrors, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code pread(2)} into native memory; returns the bytes read (fewer than asked only at the end
     * of the device). Synchronous: the bulk path is the io_uring {@code Ring}.
     */
    public static long pread(final int fd, final MemorySegment buffer, final long lengthBytes, final long offsetBytes,
        final String pathForErrors) throws IOException
    {
        checkBuffer(buffer, lengthBytes);
        final MemorySegment capture = SCRATCH.get().capture;
        try
        {
            while (true)
            {
                final long n = syscall(capture, SYS_PREAD64, fd, buffer.address(), lengthBytes, offsetBytes);
                if (n >= 0)
                {
                    return n;
                }
                final int errno = errno(capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("pread(offset " + offsetBytes + ", length " + lengthBytes + ")",
                        pathForErrors, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** {@code pwrite(2)} from native memory; returns the bytes written. */
    public static long pwrite(final int fd, final MemorySegment buffer, final long lengthBytes, final long offsetBytes,
        final String pathForErrors) throws IOException
    {
        checkBuffer(buffer, lengthBytes);
        final MemorySegment capture = SCRATCH.get().capture;
        try
        {
            while (true)
            {
                final long n = syscall(capture, SYS_PWRITE64, fd, buffer.address(), lengthBytes, offsetBytes);
                if (n >= 0)
                {
                    return n;
                }
                final int errno = errno(capture);
                if (errno != Errno.EINTR)
                {
                    throw Errno.exception("pwrite(offset " + offsetBytes + ", length " + lengthBytes + ")",
                        pathForErrors, errno);
                }
            }
        }
        catch (final IOException ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    private static void checkBuffer(final MemorySegment buffer, final long lengthBytes)
    {
        if (!buffer.isNative())
        {
            throw new IllegalArgumentException("the buffer must be native memory (a heap segment cannot be passed to the kernel)");
        }
        if (lengthBytes < 0 || lengthBytes > buffer.byteSize())
        {
            throw new IllegalArgumentException("length " + lengthBytes + " does not fit the " + buffer.byteSize() +
                "-byte buffer");
        }
    }

    /** The C library's message for errno ({@code strerror_r}, GNU variant). */
    public static String strerror(final int errno)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = arena.allocate(256);
            final MemorySegment text = (MemorySegment)StrerrorR.HANDLE.invokeExact(errno, buffer, 256L);
            return text.reinterpret(1024).getString(0);
        }
        catch (final Throwable t)
        {
            return "errno " + errno;
        }
    }

    /** The symbolic name of a block-device ioctl request, for messages. */
    public static String ioctlName(final long request)
    {
        if (request == BLKGETSIZE64)
        {
            return "BLKGETSIZE64";
        }
        if (request == BLKSSZGET)
        {
            return "BLKSSZGET";
        }
        if (request == BLKPBSZGET)
        {
            return "BLKPBSZGET";
        }
        if (request == BLKDISCARD)
        {
            return "BLKDISCARD";
        }
        if (request == BLKZEROOUT)
        {
            return "BLKZEROOUT";
        }
        return "0x" + Long.toHexString(request);
    }

    static String fallocateModeName(final int mode)
    {
        if (mode == 0)
        {
            return "0";
        }
        final StringBuilder name = new StringBuilder();
        if ((mode & FALLOC_FL_ZERO_RANGE) != 0)
        {
            name.append("ZERO_RANGE|");
        }
        if ((mode & FALLOC_FL_PUNCH_HOLE) != 0)
        {
            name.append("PUNCH_HOLE|");
        }
        if ((mode & FALLOC_FL_KEEP_SIZE) != 0)
        {
            name.append("KEEP_SIZE|");
        }
        final int rest = mode & ~(FALLOC_FL_ZERO_RANGE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
        if (rest != 0)
        {
            name.append("0x").append(Integer.toHexString(rest)).append('|');
        }
        name.setLength(name.length() - 1);
        return name.toString();
    }
}
