package io.presync.uring;

import io.presync.ffi.Errno;
import io.presync.ffi.Libc;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Rings set up with {@link Ring#create(int, int)} options: every option still round-trips NOPs and
 * reads, DEFER_TASKRUN completions appear through submit() in a polling loop, the registered ring fd
 * is given back at close, and a single-issuer ring refuses another thread.
 */
class RingOptionsTest
{
    private static final int[] OPTION_SETS = {
        0,
        Ring.OPTION_SINGLE_ISSUER,
        Ring.OPTION_DEFER_TASKRUN,
        Ring.OPTION_SINGLE_ISSUER | Ring.OPTION_DEFER_TASKRUN,
        Ring.OPTION_COOP_TASKRUN,
        Ring.OPTION_SINGLE_ISSUER | Ring.OPTION_COOP_TASKRUN,
    };

    @TempDir
    Path dir;

    @BeforeAll
    static void needIoUring()
    {
        assumeTrue(Ring.unavailableReason() == null, () -> "io_uring unavailable: " + Ring.unavailableReason());
    }

    @Test
    void everyOptionSetRoundTripsNopsInBatches() throws IOException
    {
        for (final int options : OPTION_SETS)
        {
            try (Ring ring = Ring.create(32, options))
            {
                final Completions done = new Completions();
                for (int round = 0; round < 20; round++)
                {
                    done.clear();
                    for (int i = 0; i < 32; i++)
                    {
                        assertTrue(ring.prepareNop(round * 1000L + i));
                    }
                    assertEquals(32, ring.submitAndWait(32), "options " + options);
                    assertEquals(32, ring.reap(done, 64), "options " + options);
                    for (int i = 0; i < 32; i++)
                    {
                        assertEquals(0, done.resultOf(round * 1000L + i));
                    }
                }
            }
        }
    }

    @Test
    void theOptionsAskedForAreAppliedOnThisKernel() throws IOException
    {
        try (Ring ring = Ring.create(8, Ring.OPTION_DEFER_TASKRUN))
        {
            // DEFER_TASKRUN implies SINGLE_ISSUER; a kernel before 6.1 gives 0 instead.
            assumeTrue(ring.setupOptions() != 0, "this kernel has no DEFER_TASKRUN (Linux 6.1+)");
            assertEquals(Ring.OPTION_DEFER_TASKRUN | Ring.OPTION_SINGLE_ISSUER, ring.setupOptions());
            assertTrue(ring.registeredRingForTest());
        }
        try (Ring ring = Ring.create(8))
        {
            assertEquals(0, ring.setupOptions());
        }
    }

    @Test
    void readsCompleteWithEveryOptionSetAndInAPollingLoop() throws IOException
    {
        final Path file = dir.resolve("data");
        final byte[] bytes = new byte[4096 * 8];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        Files.write(file, bytes);
        final int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, bytes.length);
            for (final int options : OPTION_SETS)
            {
                try (Ring ring = Ring.create(8, options))
                {
                    buffer.fill((byte)0);
                    for (int i = 0; i < 8; i++)
                    {
                        assertTrue(ring.prepareRead(fd, false, buffer.asSlice(4096L * i, 4096), 4096, 4096L * i, i));
                    }
                    // A polling loop as the replication job runs it: submit() and reap(), never a wait.
                    final Completions done = new Completions();
                    ring.submit();
                    final long deadline = System.nanoTime() + 10_000_000_000L;
                    while (done.count < 8 && System.nanoTime() < deadline)
                    {
                        ring.reap(done, 8);
                        ring.submit();
                    }
                    assertEquals(8, done.count, "options " + options);
                    for (int i = 0; i < 8; i++)
                    {
                        assertEquals(4096, done.resultOf(i));
                    }
                    for (int i = 0; i < bytes.length; i++)
                    {
                        assertEquals(bytes[i], buffer.get(JAVA_BYTE, i));
                    }
                }
            }
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void theRegisteredRingFdIsGivenBackAtClose() throws IOException
    {
        // The kernel's per-thread table holds 16 registered rings: more than that in a row only works
        // when close gives each slot back.
        for (int i = 0; i < 40; i++)
        {
            try (Ring ring = Ring.create(4, Ring.OPTION_SINGLE_ISSUER))
            {
                assumeTrue(ring.setupOptions() != 0, "this kernel has no SINGLE_ISSUER (Linux 6.0+)");
                assertTrue(ring.registeredRingForTest(), "ring " + i);
                ring.prepareNop(i);
                ring.submitAndWait(1);
                assertEquals(1, ring.reap((u, r, f) -> assertEquals(0, r), 1));
            }
        }
    }

    @Test
    void aSingleIssuerRingRefusesAnotherThread() throws Exception
    {
        try (Ring ring = Ring.create(4, Ring.OPTION_SINGLE_ISSUER))
        {
            assumeTrue(ring.setupOptions() != 0, "this kernel has no SINGLE_ISSUER (Linux 6.0+)");
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread other = new Thread(() ->
            {
                try
                {
                    ring.prepareNop(1);
                    ring.submitAndWait(1);
                }
                catch (final Throwable t)
                {
                    failure.set(t);
                }
            });
            other.start();
            other.join();
            // The registered ring index is not in the other thread's table (EINVAL or EBADF); with the
            // plain fd the kernel refuses a second submitter (EEXIST).
            final UringException ex = assertInstanceOf(UringException.class, failure.get());
            assertTrue(ex.errno() == Errno.EINVAL || ex.errno() == Errno.EBADF || ex.errno() == Errno.EEXIST,
                ex.getMessage());
            ring.discardPrepared();
        }
    }

    @Test
    void unknownOrConflictingOptionsAreRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> Ring.create(4, 64));
        assertThrows(IllegalArgumentException.class,
            () -> Ring.create(4, Ring.OPTION_DEFER_TASKRUN | Ring.OPTION_COOP_TASKRUN));
    }
}
