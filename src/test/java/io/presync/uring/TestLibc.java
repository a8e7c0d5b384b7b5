package io.presync.uring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * open(2)/close(2) for the ring tests: java.nio cannot open a file with O_DIRECT. Test-only on purpose;
 * the agent's libc bindings live in io.presync.ffi.Libc.
 */
final class TestLibc
{
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_DIRECT = 040000; // x86-64 and the generic table
    static final int O_CLOEXEC = 02000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    // open is variadic: the mode is the first variadic argument.
    private static final MethodHandle OPEN = LINKER.downcallHandle(
        LINKER.defaultLookup().find("open").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
        CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
        LINKER.defaultLookup().find("close").orElseThrow(),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT),
        CAPTURE_ERRNO);

    private TestLibc()
    {
    }

    static int open(final String path, final int flags, final int mode) throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            final int fd = (int)OPEN.invokeExact(state, arena.allocateFrom(path), flags | O_CLOEXEC, mode);
            if (fd < 0)
            {
                throw new IOException("open " + path + " failed: errno " + (int)ERRNO.get(state, 0L));
            }
            return fd;
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new AssertionError(ex);
        }
    }

    static void close(final int fd)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int ret = (int)CLOSE.invokeExact(arena.allocate(CAPTURE_LAYOUT), fd);
            if (ret != 0)
            {
                throw new IllegalStateException("close " + fd + " failed");
            }
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable ex)
        {
            throw new AssertionError(ex);
        }
    }
}
