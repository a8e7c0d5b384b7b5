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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Rings set up with {@link Ring#create(int, int)} options: every option still round-trips NOPs and
 * reads, DEFER_TASKRUN completions appear through submit() in a polling loop, the registered ring fd
 * is given back at close, and a single-issuer ring refuses another thread. The default ring
 * (COOP_TASKRUN) works with the flag and, on a kernel that refuses it with EINVAL (simulated through
 * {@code Ring.refusedSetupFlagsForTest}), without it.
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
        try (Ring ring = Ring.create(8, 0))
        {
            assertEquals(0, ring.setupOptions());
        }
        try (Ring ring = Ring.create(8))
        {
            // COOP_TASKRUN is Linux 5.19+; an older kernel gives a plain ring.
            assumeTrue(ring.setupOptions() != 0, "this kernel has no COOP_TASKRUN (Linux 5.19+)");
            assertEquals(Ring.DEFAULT_OPTIONS, ring.setupOptions());
            assertEquals(Ring.OPTION_COOP_TASKRUN, ring.setupOptions());
        }
    }

    @Test
    void theDefaultRingWorksWithAndWithoutItsFlag() throws IOException
    {
        final Path file = dataFile();
        final int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try
        {
            try (Ring ring = Ring.create(32))
            {
                roundTripNops(ring);
                readInAPollingLoop(ring, fd, file);
            }
            Ring.refusedSetupFlagsForTest = Ring.SETUP_COOP_TASKRUN;
            try (Ring ring = Ring.create(32))
            {
                assertEquals(0, ring.setupOptions(), "a kernel refusing COOP_TASKRUN gives a plain ring");
                roundTripNops(ring);
                readInAPollingLoop(ring, fd, file);
            }
        }
        finally
        {
            Ring.refusedSetupFlagsForTest = 0;
            Libc.close(fd);
        }
    }

    @Test
    void aKernelRefusingSingleIssuerOrDeferTaskrunGivesACoopRingThatWorks() throws IOException
    {
        final Path file = dataFile();
        final int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try
        {
            // A 5.19 kernel: COOP_TASKRUN but neither SINGLE_ISSUER (6.0) nor DEFER_TASKRUN (6.1).
            Ring.refusedSetupFlagsForTest = Ring.SETUP_SINGLE_ISSUER | Ring.SETUP_DEFER_TASKRUN;
            try (Ring ring = Ring.create(32, Ring.OPTION_SINGLE_ISSUER | Ring.OPTION_DEFER_TASKRUN))
            {
                assertEquals(Ring.OPTION_COOP_TASKRUN, ring.setupOptions());
                assertFalse(ring.registeredRingForTest());
                roundTripNops(ring);
                readInAPollingLoop(ring, fd, file);
            }
            // Older still: no option at all.
            Ring.refusedSetupFlagsForTest = Ring.SETUP_SINGLE_ISSUER | Ring.SETUP_DEFER_TASKRUN | Ring.SETUP_COOP_TASKRUN;
            try (Ring ring = Ring.create(32, Ring.OPTION_DEFER_TASKRUN))
            {
                assertEquals(0, ring.setupOptions());
                roundTripNops(ring);
                readInAPollingLoop(ring, fd, file);
            }
        }
        finally
        {
            Ring.refusedSetupFlagsForTest = 0;
            Libc.close(fd);
        }
    }

    private Path dataFile() throws IOException
    {
        final Path file = dir.resolve("data");
        final byte[] bytes = new byte[4096 * 8];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)(i * 31 + 7);
        }
        Files.write(file, bytes);
        return file;
    }

    private static void roundTripNops(final Ring ring) throws IOException
    {
        final Completions done = new Completions();
        for (int round = 0; round < 20; round++)
        {
            done.clear();
            for (int i = 0; i < 32; i++)
            {
                assertTrue(ring.prepareNop(round * 1000L + i));
            }
            assertEquals(32, ring.submitAndWait(32));
            assertEquals(32, ring.reap(done, 64));
            for (int i = 0; i < 32; i++)
            {
                assertEquals(0, done.resultOf(round * 1000L + i));
            }
        }
    }

    /** Eight 4 KiB reads of {@code file} reaped by a submit()/reap() loop that never waits. */
    private static void readInAPollingLoop(final Ring ring, final int fd, final Path file) throws IOException
    {
        final byte[] bytes = Files.readAllBytes(file);
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, bytes.length);
            for (int i = 0; i < 8; i++)
            {
                assertTrue(ring.prepareRead(fd, false, buffer.asSlice(4096L * i, 4096), 4096, 4096L * i, i));
            }
            final Completions done = new Completions();
            ring.submit();
            final long deadline = System.nanoTime() + 10_000_000_000L;
            while (done.count < 8 && System.nanoTime() < deadline)
            {
                ring.reap(done, 8);
                ring.submit();
            }
            assertEquals(8, done.count, "options " + ring.setupOptions());
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

    @Test
    void readsCompleteWithEveryOptionSetAndInAPollingLoop() throws IOException
    {
        final Path file = dataFile();
        final int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try
        {
            for (final int options : OPTION_SETS)
            {
                try (Ring ring = Ring.create(8, options))
                {
                    // A polling loop as the replication job runs it: submit() and reap(), never a wait.
                    readInAPollingLoop(ring, fd, file);
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
