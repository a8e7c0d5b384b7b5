package io.presync.uring;

import io.presync.ffi.Libc;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The liburing 2.3 entry points the jextract bindings leave out, bound by hand because the ring's hot
 * path needs them: {@code io_uring_enter} (liburing's raw syscall wrapper: returns {@code -errno}, never
 * touches errno) and {@code io_uring_register_ring_fd}.
 * <p>
 * {@code io_uring_enter} has two paths. {@link #ENTER_NONBLOCKING} is a critical downcall (no
 * thread-state transition, so no safepoint can happen during it): only for calls that cannot sleep,
 * i.e. submitting, or reaping with {@code min_complete == 0}. Waiting, which may take as long as the
 * I/O does, needs an ordinary downcall: {@link Libc#ioUringEnter}, the system call through libc's
 * one shared handle, rather than a handle of its own (each distinct handle costs milliseconds of
 * start-up; the errno capture it adds is nothing next to a wait).
 */
final class EnterCalls
{
    /** {@code IORING_ENTER_GETEVENTS}: wait for (or with min_complete 0, just flush) completions. */
    static final int ENTER_GETEVENTS = 1;
    /** {@code IORING_ENTER_REGISTERED_RING}: fd is an index from io_uring_register_ring_fd. */
    static final int ENTER_REGISTERED_RING = 1 << 4;

    private static final SymbolLookup LIBURING = SymbolLookup.libraryLookup("liburing.so.2", Arena.global());

    // int io_uring_enter(unsigned fd, unsigned to_submit, unsigned min_complete, unsigned flags, sigset_t *sig)
    static final MethodHandle ENTER_NONBLOCKING = Linker.nativeLinker().downcallHandle(
        LIBURING.findOrThrow("io_uring_enter"), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS),
        Linker.Option.critical(false));

    /**
     * {@code int io_uring_register_ring_fd(struct io_uring *ring)}: 1 on success, -errno on failure. Only
     * single-issuer rings register their fd, so it is linked on first use: a command whose rings are all
     * shared (replicate) spins no handle for it.
     */
    private static final class RegisterRingFd
    {
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(
            LIBURING.findOrThrow("io_uring_register_ring_fd"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    private EnterCalls()
    {
    }

    static int enterNonBlocking(final int fd, final int toSubmit, final int flags)
    {
        try
        {
            return (int)ENTER_NONBLOCKING.invokeExact(fd, toSubmit, 0, flags, MemorySegment.NULL);
        }
        catch (final Throwable t)
        {
            throw new AssertionError("io_uring_enter downcall failed", t);
        }
    }

    static int enterBlocking(final int fd, final int toSubmit, final int minComplete, final int flags)
    {
        return Libc.ioUringEnter(fd, toSubmit, minComplete, flags);
    }

    /** Links {@link #registerRingFd} now (see {@link Ring#linkNativeCalls(int)}). */
    static void linkRegisterRingFd()
    {
        final MethodHandle ignored = RegisterRingFd.HANDLE;
    }

    static int registerRingFd(final MemorySegment ring)
    {
        try
        {
            return (int)RegisterRingFd.HANDLE.invokeExact(ring);
        }
        catch (final Throwable t)
        {
            throw new AssertionError("io_uring_register_ring_fd downcall failed", t);
        }
    }
}
