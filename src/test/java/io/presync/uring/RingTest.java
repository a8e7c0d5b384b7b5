package io.presync.uring;

import io.presync.device.LoopDevices;
import io.presync.ffi.Errno;
import io.presync.ffi.Libc;
import io.presync.ffi.liburing.Liburing;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The ring against the real kernel: NOPs, batching, fsync, fallocate, errors, registration, close. */
class RingTest
{
    @TempDir
    Path dir;

    @BeforeAll
    static void needIoUring()
    {
        assumeTrue(Ring.unavailableReason() == null, () -> "io_uring unavailable: " + Ring.unavailableReason());
    }

    @Test
    void nopsRoundTripWithTheirUserData() throws IOException
    {
        try (Ring ring = Ring.create(8))
        {
            assertEquals(8, ring.sqEntries());
            assertEquals(16, ring.cqEntries());
            final Completions done = new Completions();
            for (int round = 0; round < 10; round++)
            {
                done.clear();
                for (int i = 0; i < 8; i++)
                {
                    assertTrue(ring.prepareNop(UserData.encode(3, round * 100L + i)));
                }
                assertEquals(8, ring.preparedCount());
                assertEquals(8, ring.submitAndWait(8));
                assertEquals(0, ring.preparedCount());
                assertEquals(8, ring.completionsReady());
                assertEquals(8, ring.reap(done, 100));
                assertEquals(0, ring.completionsReady());
                for (int i = 0; i < 8; i++)
                {
                    assertEquals(0, done.resultOf(UserData.encode(3, round * 100L + i)));
                }
            }
        }
    }

    @Test
    void reapHandsOutAtMostMax() throws IOException
    {
        try (Ring ring = Ring.create(4))
        {
            final Completions done = new Completions();
            for (int i = 0; i < 4; i++)
            {
                ring.prepareNop(i);
            }
            ring.submitAndWait(4);
            assertEquals(3, ring.reap(done, 3));
            assertEquals(1, ring.reap(done, 3));
            assertEquals(0, ring.reap(done, 3));
            assertEquals(4, done.count);
        }
    }

    @Test
    void batchesLargerThanTheSqFillItThenSubmit() throws IOException
    {
        try (Ring ring = Ring.create(8))
        {
            final Completions done = new Completions();
            final int total = 1000;
            int prepared = 0;
            int refusals = 0;
            while (prepared < total)
            {
                if (ring.prepareNop(prepared))
                {
                    prepared++;
                    continue;
                }
                refusals++;
                assertEquals(ring.sqEntries(), ring.preparedCount(), "refuses only when the SQ is full");
                ring.submit();
                ring.reap(done, Integer.MAX_VALUE);
            }
            done.awaitCount(ring, total);
            assertTrue(refusals >= total / ring.sqEntries() - 1, "refusals " + refusals);
            final BitSet seen = new BitSet();
            for (int i = 0; i < done.count; i++)
            {
                assertEquals(0, done.results[i]);
                assertFalse(seen.get((int)done.userData[i]), "one completion each");
                seen.set((int)done.userData[i]);
            }
            assertEquals(total, seen.cardinality());
        }
    }

    @Test
    void fsyncAndFdatasyncComplete() throws IOException
    {
        final Path file = dir.resolve("f");
        Files.write(file, new byte[8192]);
        final int fd = Libc.open(file.toString(), Libc.O_RDWR, 0);
        try (Ring ring = Ring.create(4); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, 4096);
            buffer.fill((byte)7);
            final Completions done = new Completions();
            ring.prepareWrite(fd, false, buffer, 4096, 4096, 1);
            done.awaitCount(ring, 1);
            ring.prepareFsync(fd, false, false, 2);
            ring.prepareFsync(fd, false, true, 3);
            done.awaitCount(ring, 3);
            assertEquals(4096, done.resultOf(1));
            assertEquals(0, done.resultOf(2));
            assertEquals(0, done.resultOf(3));
            assertEquals(7, Files.readAllBytes(file)[5000]);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void fallocateExtendsAndReservesAFile() throws IOException
    {
        final Path file = dir.resolve("f");
        Files.createFile(file);
        final int fd = Libc.open(file.toString(), Libc.O_RDWR, 0);
        try (Ring ring = Ring.create(4))
        {
            final Completions done = new Completions();
            ring.prepareFallocate(fd, false, 0, 0, 1 << 20, 1);
            done.awaitCount(ring, 1);
            assertEquals(0, done.resultOf(1));
            assertEquals(1 << 20, Files.size(file));
            // FALLOC_FL_KEEP_SIZE: blocks are reserved past the end, the size stays.
            ring.prepareFallocate(fd, false, 1, 1 << 20, 1 << 20, 2);
            done.awaitCount(ring, 2);
            assertEquals(0, done.resultOf(2));
            assertEquals(1 << 20, Files.size(file));
            final long allocatedBytes = Long.parseLong(LoopDevices.run("stat", "-c", "%b", file.toString()).strip()) * 512;
            assertTrue(allocatedBytes >= 2 << 20, "allocated " + allocatedBytes);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void negativeResultsBecomeTypedExceptions() throws IOException
    {
        final Path file = dir.resolve("read-only");
        Files.write(file, new byte[4096]);
        final int fd = Libc.open(file.toString(), Libc.O_RDONLY, 0);
        try (Ring ring = Ring.create(4); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, 4096);
            final Completions done = new Completions();
            ring.prepareWrite(fd, false, buffer, 4096, 0, 1);
            ring.prepareRead(999_999, false, buffer, 4096, 0, 2);
            done.awaitCount(ring, 2);
            assertEquals(-Errno.EBADF, done.resultOf(1));
            assertEquals(-Errno.EBADF, done.resultOf(2));

            final UringException ex = UringException.forResult(SqeDescriptor.OP_WRITE, done.resultOf(1), file.toString());
            assertEquals(Errno.EBADF, ex.errno());
            assertEquals("EBADF", ex.errnoName());
            assertEquals("WRITE", ex.op());
            assertEquals("io_uring WRITE on " + file + " failed: Bad file descriptor (EBADF)", ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> UringException.forResult(SqeDescriptor.OP_READ, 0, null));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void registeredFilesAreUsedByIndex() throws IOException
    {
        final Path file = dir.resolve("f");
        final byte[] content = new byte[8192];
        for (int i = 0; i < content.length; i++)
        {
            content[i] = (byte)(i * 31);
        }
        Files.write(file, content);
        final int fd = Libc.open(file.toString(), Libc.O_RDWR, 0);
        try (Ring ring = Ring.create(4); Arena arena = Arena.ofConfined())
        {
            ring.registerFiles(new int[] {fd});
            final MemorySegment buffer = Ring.allocateBuffer(arena, 4096);
            final Completions done = new Completions();
            ring.prepareRead(0, true, buffer, 4096, 4096, 1);
            done.awaitCount(ring, 1);
            assertEquals(4096, done.resultOf(1));
            for (int i = 0; i < 4096; i++)
            {
                assertEquals(content[4096 + i], buffer.get(JAVA_BYTE, i));
            }
            assertThrows(IllegalArgumentException.class, () -> ring.prepareRead(1, true, buffer, 4096, 0, 2));

            // Registering again replaces the table.
            ring.registerFiles(new int[] {fd, fd});
            ring.prepareFsync(1, true, true, 3);
            done.awaitCount(ring, 2);
            assertEquals(0, done.resultOf(3));
            ring.unregisterFiles();
            assertThrows(IllegalArgumentException.class, () -> ring.prepareFsync(0, true, true, 4));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void cheapChecksRejectBadArguments() throws IOException
    {
        assumeTrue(Ring.CHECKS, "checks are off (-Dpresync.checks=false)");
        try (Ring ring = Ring.create(4); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, 8192);
            assertThrows(IllegalArgumentException.class, () -> ring.prepareRead(0, false, buffer, 8193, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> ring.prepareRead(-1, false, buffer, 4096, 0, 1));
            assertThrows(IllegalArgumentException.class,
                () -> ring.prepareRead(0, false, MemorySegment.ofArray(new byte[4096]), 4096, 0, 1));
            assertThrows(IllegalArgumentException.class, () -> ring.prepareReadFixed(0, false, buffer, 4096, 0, 0, 1));
            ring.registerBuffers(new MemorySegment[] {buffer.asSlice(0, 4096)});
            ring.prepareReadFixed(0, false, buffer.asSlice(1024, 1024), 1024, 0, 0, 1);
            final IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> ring.prepareWriteFixed(0, false, buffer.asSlice(4096, 4096), 4096, 0, 0, 2));
            assertTrue(outside.getMessage().contains("not inside registered buffer 0"), outside.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ring.prepareWriteFixed(0, false, buffer, 4096, 0, 1, 2));
            assertThrows(IllegalArgumentException.class, () -> ring.prepareFallocate(0, false, 0, 0, 0, 3));
            assertThrows(IllegalArgumentException.class, () -> Ring.create(0));
            assertThrows(IllegalArgumentException.class, () -> Ring.create(Ring.MAX_ENTRIES + 1));
            assertEquals(1, ring.preparedCount(), "refused operations leave the SQ untouched");
        }
    }

    @Test
    void sqesCarryEveryFieldAndNoStaleOnes() throws IOException
    {
        final Path file = dir.resolve("f");
        Files.createFile(file);
        final int fd = Libc.open(file.toString(), Libc.O_RDWR, 0);
        try (Ring ring = Ring.create(2); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, 8192);
            ring.registerBuffers(new MemorySegment[] {buffer.asSlice(0, 4096), buffer.asSlice(4096, 4096)});
            ring.registerFiles(new int[] {fd, fd});
            final MemorySegment sqes = ring.sqesForTest();

            // slot 0: fallocate carries the mode in len and the length in addr (as io_uring_prep_fallocate).
            assertTrue(ring.prepareFallocate(1, true, 3, 4096, 12288, 77));
            assertEquals(SqeDescriptor.OP_FALLOCATE, SqeDescriptor.opcode(sqes, 0));
            assertEquals(SqeDescriptor.IOSQE_FIXED_FILE, SqeDescriptor.flags(sqes, 0));
            assertEquals(1, SqeDescriptor.fd(sqes, 0));
            assertEquals(4096, sqes.get(JAVA_LONG, SqeDescriptor.OFF_OFFSET));
            assertEquals(12288, sqes.get(JAVA_LONG, SqeDescriptor.ADDR_OFFSET));
            assertEquals(3, SqeDescriptor.len(sqes, 0));
            assertEquals(77, sqes.get(JAVA_LONG, SqeDescriptor.USER_DATA_OFFSET));

            // slot 1: write fixed from buffer 1.
            final MemorySegment second = buffer.asSlice(4096, 4096);
            assertTrue(ring.prepareWriteFixed(fd, false, second, 512, 1024, 1, 78));
            final long base = SqeDescriptor.SQE_BYTES;
            assertEquals(SqeDescriptor.OP_WRITE_FIXED, SqeDescriptor.opcode(sqes, base));
            assertEquals(0, SqeDescriptor.flags(sqes, base));
            assertEquals(0, SqeDescriptor.ioprio(sqes, base));
            assertEquals(fd, SqeDescriptor.fd(sqes, base));
            assertEquals(second.address(), sqes.get(JAVA_LONG, base + SqeDescriptor.ADDR_OFFSET));
            assertEquals(512, SqeDescriptor.len(sqes, base));
            assertEquals(1, SqeDescriptor.bufIndex(sqes, base));
            assertFalse(ring.prepareNop(79), "a 2-entry SQ is full");

            final Completions done = new Completions();
            done.awaitCount(ring, 2);
            assertEquals(0, done.resultOf(77));
            assertEquals(512, done.resultOf(78));

            // Both slots reused by NOPs: nothing of the earlier operations is left in them.
            ring.prepareNop(80);
            ring.prepareFsync(fd, false, true, 81);
            for (int slot = 0; slot < 2; slot++)
            {
                final long b = (long)slot * SqeDescriptor.SQE_BYTES;
                assertEquals(0, SqeDescriptor.flags(sqes, b));
                assertEquals(0, SqeDescriptor.bufIndex(sqes, b));
                assertEquals(0, sqes.get(JAVA_LONG, b + SqeDescriptor.ADDR_OFFSET));
                assertEquals(0, sqes.get(JAVA_LONG, b + SqeDescriptor.ADDR3_OFFSET));
                assertEquals(0, sqes.get(JAVA_LONG, b + SqeDescriptor.PAD2_OFFSET));
            }
            assertEquals(SqeDescriptor.IORING_FSYNC_DATASYNC, SqeDescriptor.opFlags(sqes, SqeDescriptor.SQE_BYTES));
            done.awaitCount(ring, 4);
            assertEquals(0, done.resultOf(81));
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void javaSqBookkeepingAgreesWithLiburing() throws IOException
    {
        try (Ring ring = Ring.create(8))
        {
            final Completions done = new Completions();
            for (int i = 0; i < 11; i++)
            {
                ring.prepareNop(i);
                done.awaitCount(ring, i + 1);
            }
            // liburing's io_uring_get_sqe hands out the slot after the last one we published.
            final MemorySegment sqe = Liburing.io_uring_get_sqe(ring.ringStructForTest());
            final long expected = ring.sqesForTest().address() + ((long)(ring.sqeTailForTest() & 7) << SqeDescriptor.SQE_SHIFT);
            assertEquals(expected, sqe.address());
            // ... and the ring keeps working after liburing touched its own copy of the tail.
            ring.prepareNop(100);
            done.awaitCount(ring, 12);
            assertEquals(0, done.resultOf(100));
        }
    }

    @Test
    void aCompletionWhoseHandlerThrowsCountsAsReaped() throws IOException
    {
        try (Ring ring = Ring.create(4))
        {
            for (int i = 0; i < 3; i++)
            {
                ring.prepareNop(i);
            }
            ring.submitAndWait(3);
            final Completions done = new Completions();
            final CompletionHandler throwsOnSecond = (userData, result, flags) ->
            {
                done.onCompletion(userData, result, flags);
                if (userData == 1)
                {
                    throw new IllegalStateException("handler failed");
                }
            };
            assertThrows(IllegalStateException.class, () -> ring.reap(throwsOnSecond, 10));
            assertEquals(2, done.count);
            assertEquals(1, ring.completionsReady());
            assertEquals(1, ring.reap(done, 10));
            assertEquals(2, done.userData[2]);
        }
    }

    @Test
    void checkPassesResultsAndThrowsForErrors() throws IOException
    {
        assertEquals(4096, UringException.check(SqeDescriptor.OP_READ, 4096, "/dev/x"));
        final UringException ex = assertThrows(UringException.class,
            () -> UringException.check(SqeDescriptor.OP_FSYNC, -Errno.EIO, "/dev/x"));
        assertEquals("io_uring FSYNC on /dev/x failed: Input/output error (EIO)", ex.getMessage());
        assertEquals("io_uring io_uring_register_files failed: Bad file descriptor (EBADF)",
            UringException.forCall("io_uring_register_files", -Errno.EBADF, null).getMessage());
    }

    @Test
    void theHotPathAllocatesNothing() throws IOException
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        try (Ring ring = Ring.create(32); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, 4096);
            final Completions done = new Completions();
            final Runnable batch = () ->
            {
                try
                {
                    for (int i = 0; i < 16; i++)
                    {
                        ring.prepareNop(i);
                    }
                    ring.prepareRead(0, false, buffer, 4096, 0, 99);
                    ring.discardPrepared();
                    for (int i = 0; i < 16; i++)
                    {
                        ring.prepareNop(i);
                    }
                    ring.submitAndWait(16);
                    int reaped = 0;
                    while (reaped < 16)
                    {
                        reaped += ring.reap(done, 16);
                    }
                    done.clear();
                }
                catch (final IOException ex)
                {
                    throw new AssertionError(ex);
                }
            };
            // Warm up until the JIT has compiled the path (the interpreter may allocate for VarHandles).
            for (int i = 0; i < 20_000; i++)
            {
                batch.run();
            }
            long leastBytes = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 5 && leastBytes > 0; attempt++)
            {
                final long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1_000; i++)
                {
                    batch.run();
                }
                leastBytes = Math.min(leastBytes, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, leastBytes, "bytes allocated by 1000 batches of prepare/submit/reap");
        }
    }

    @Test
    void discardedOperationsNeverReachTheKernel() throws IOException
    {
        try (Ring ring = Ring.create(4))
        {
            final Completions done = new Completions();
            ring.prepareNop(1);
            ring.prepareNop(2);
            assertEquals(2, ring.discardPrepared());
            assertEquals(0, ring.preparedCount());
            assertEquals(0, ring.submit());
            for (int i = 0; i < 4; i++)
            {
                assertTrue(ring.prepareNop(10 + i), "discarded slots are free again");
            }
            done.awaitCount(ring, 4);
            assertEquals(4, done.count);
            assertEquals(0, done.resultOf(13));
            assertEquals(0, ring.completionsReady());
        }
    }

    @Test
    void closeIsIdempotentAndStopsUse() throws IOException
    {
        final Ring ring = Ring.create(2);
        ring.close();
        ring.close();
        assertThrows(IllegalStateException.class, () -> ring.prepareNop(1));
        assertThrows(IllegalStateException.class, ring::submit);
        assertThrows(IllegalStateException.class, () -> ring.reap(new Completions(), 1));
    }

    @Test
    void largeBatchesOfRegisteredBuffersRoundTrip(@TempDir final Path tmp) throws IOException
    {
        final Path file = tmp.resolve("f");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(1 << 20);
        }
        final int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_DIRECT, 0);
        try (Ring ring = Ring.create(4); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, 1 << 20);
            for (long i = 0; i < buffer.byteSize(); i += 8)
            {
                buffer.set(JAVA_LONG, i, i * 0x9E3779B97F4A7C15L);
            }
            ring.registerBuffers(new MemorySegment[] {buffer});
            final Completions done = new Completions();
            ring.prepareWriteFixed(fd, false, buffer, 1 << 20, 0, 0, 1);
            done.awaitCount(ring, 1);
            assertEquals(1 << 20, done.resultOf(1));
            final byte[] onDisk = Files.readAllBytes(file);
            assertEquals(MemorySegment.ofArray(onDisk).mismatch(buffer), -1L);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    @Test
    void ioUringIsAvailableHere()
    {
        // This project's CI runs on kernels with io_uring; the probe must agree.
        assertNull(Ring.unavailableReason());
    }
}
