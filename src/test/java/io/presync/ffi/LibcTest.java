package io.presync.ffi;

import io.presync.ffi.liburing.io_uring_params;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every Libc call that goes through the one syscall(2) downcall does what its glibc wrapper does:
 * results, arguments in the right registers (a swapped offset and length would show in the data), and
 * errno captured into the typed exception.
 */
class LibcTest
{
    @Test
    void fileCallsRoundTripThroughTheSyscallHandle(@TempDir final Path dir) throws IOException
    {
        final Path path = dir.resolve("data");
        final String name = path.toString();
        final int fd = Libc.open(name, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC, 0640);
        try (Arena arena = Arena.ofConfined())
        {
            assertTrue(fd >= 0);
            final FileStatus created = Libc.fstat(fd, name);
            assertTrue(created.isRegularFile());
            assertEquals(0640, created.mode() & 0777, "the mode argument reached openat");
            assertEquals(0, created.sizeBytes());

            final MemorySegment out = arena.allocate(8192, 4096);
            for (int i = 0; i < 8192; i++)
            {
                out.set(JAVA_BYTE, i, (byte)(i * 7 + 3));
            }
            assertEquals(8192, Libc.pwrite(fd, out, 8192, 1 << 20, name));
            Libc.fsync(fd, name);
            assertEquals((1 << 20) + 8192, Libc.stat(name).sizeBytes(), "stat follows the path to the file");
            assertEquals((1 << 20) + 8192, Libc.fstat(fd, name).sizeBytes());

            final MemorySegment in = arena.allocate(4096, 4096);
            assertEquals(4096, Libc.pread(fd, in, 4096, (1 << 20) + 4096, name));
            assertArrayEquals(out.asSlice(4096, 4096).toArray(JAVA_BYTE), in.toArray(JAVA_BYTE));
            assertEquals(0, Libc.pread(fd, in, 4096, 1 << 22, name), "reading past the end returns 0");

            assertEquals(12345, Libc.lseek(fd, 12345, Libc.SEEK_SET, name), "offset and whence in their registers");
            // Whether the first 1 MiB reads as a hole depends on the file system; the end never has data.
            assertTrue(Libc.lseek(fd, 0, Libc.SEEK_DATA, name) <= 1 << 20);
            assertEquals(-1, Libc.lseek(fd, (1 << 20) + 8192, Libc.SEEK_DATA, name), "ENXIO past the data");

            Libc.fallocate(fd, Libc.FALLOC_FL_KEEP_SIZE, 1 << 21, 1 << 16, name);
            assertEquals((1 << 20) + 8192, Libc.fstat(fd, name).sizeBytes(), "KEEP_SIZE keeps the length");
            assertTrue(Libc.fstat(fd, name).allocatedBytes() >= 8192 + (1 << 16), "the range is allocated");
        }
        finally
        {
            Libc.close(fd);
        }
        final ErrnoException closedTwice = assertThrows(ErrnoException.class, () -> Libc.close(fd));
        assertEquals(Errno.EBADF, closedTwice.errno());
        assertEquals((1 << 20) + 8192, Files.size(path));
    }

    @Test
    void failuresCarryTheErrnoOfTheSystemCall(@TempDir final Path dir)
    {
        final String missing = dir.resolve("missing").toString();
        final NoSuchFileException noFile = assertThrows(NoSuchFileException.class, () -> Libc.stat(missing));
        assertEquals(missing + ": stat: No such file or directory (ENOENT)", noFile.getMessage());
        final ErrnoException badFd = assertThrows(ErrnoException.class, () -> Libc.fstat(-1, "fd -1"));
        assertEquals(Errno.EBADF, badFd.errno());
        assertThrows(IOException.class, () -> Libc.open(dir.toString(), Libc.O_RDWR, 0), "a directory is not writable");
    }

    @Test
    void ioUringSetupReturnsARingDescriptorOrANegativeErrno() throws IOException
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment params = arena.allocate(io_uring_params.layout());
            final int fd = Libc.ioUringSetup(2, params);
            Assumptions.assumeTrue(fd >= 0, () -> "io_uring_setup: " + Errno.describe(-fd));
            assertEquals(2, io_uring_params.sq_entries(params), "the kernel filled in the parameters");
            assertEquals(4, io_uring_params.cq_entries(params));
            Libc.close(fd);
            params.fill((byte)0);
            assertEquals(-Errno.EINVAL, Libc.ioUringSetup(0, params), "no entries: EINVAL, not an exception");
            // A blocking enter on a closed ring descriptor is refused the same way.
            assertEquals(-Errno.EBADF, Libc.ioUringEnter(fd, 0, 1, 1));
        }
    }

    @Test
    void anonymousMappingsArePageAlignedZeroAndWritable() throws IOException
    {
        final long length = 3L << 20;
        final MemorySegment region = Libc.mapAnonymous(length);
        try
        {
            assertEquals(length, region.byteSize());
            assertEquals(0, region.address() % 4096);
            assertEquals(0L, region.get(JAVA_LONG, 0));
            assertEquals(0L, region.get(JAVA_LONG, length - 8));
            region.set(JAVA_LONG, length - 8, 0x1234_5678_9abcL);
            assertEquals(0x1234_5678_9abcL, region.get(JAVA_LONG, length - 8));
        }
        finally
        {
            Libc.unmap(region);
        }
        assertThrows(IllegalArgumentException.class, () -> Libc.mapAnonymous(0));
        final ErrnoException unaligned =
            assertThrows(ErrnoException.class, () -> Libc.unmap(MemorySegment.ofAddress(4097).reinterpret(4096)));
        assertEquals(Errno.EINVAL, unaligned.errno());
        assertFalse(unaligned.getMessage().isBlank());
    }

    /** sched_setaffinity and getcpu through the system-call handle: pinned to a CPU, the thread reports that CPU. */
    @Test
    void aPinnedThreadRunsOnItsCpu() throws Exception
    {
        final int cpus = Runtime.getRuntime().availableProcessors();
        final int[] seen = new int[cpus];
        final Throwable[] failure = new Throwable[1];
        // A thread of its own: the pinning stays with it, not with the test runner's thread.
        final Thread thread = new Thread(() ->
        {
            try
            {
                for (int cpu = cpus - 1; cpu >= 0; cpu--)
                {
                    Libc.pinCurrentThread(cpu);
                    seen[cpu] = Libc.currentCpu();
                }
            }
            catch (final Throwable t)
            {
                failure[0] = t;
            }
        });
        thread.start();
        thread.join();
        if (failure[0] instanceof ErrnoException ex && ex.errno() == Errno.EINVAL)
        {
            Assumptions.abort("this process may not run on every CPU (cpuset): " + ex.getMessage());
        }
        assertEquals(null, failure[0]);
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            assertEquals(cpu, seen[cpu], "pinned to cpu " + cpu);
        }
        assertThrows(IllegalArgumentException.class, () -> Libc.pinCurrentThread(1024));
    }

    @Test
    void errnoLiesWhereTheCaptureLayoutPutsIt()
    {
        assertEquals(java.lang.foreign.Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")), Libc.ERRNO_OFFSET);
    }
}
