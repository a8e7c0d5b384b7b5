package io.presync.uring;

import io.presync.ffi.Libc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Ring.allocateBuffers: zeroed, aligned, disjoint buffers from one mapping, usable as registered buffers, gone with the arena. */
class RingBuffersTest
{
    @TempDir
    Path dir;

    @Test
    void buffersAreZeroAlignedAdjacentAndRegistrable() throws IOException
    {
        assumeTrue(Ring.unavailableReason() == null, Ring::unavailableReason);
        final Path file = dir.resolve("f");
        final byte[] content = new byte[3 * 65536];
        for (int i = 0; i < content.length; i++)
        {
            content[i] = (byte)(i * 7 + i / 4096);
        }
        Files.write(file, content);
        final int fd = Libc.open(file.toString(), Libc.O_RDONLY, 0);
        final MemorySegment[] buffers;
        try (Arena arena = Arena.ofShared(); Ring ring = Ring.create(8))
        {
            buffers = Ring.allocateBuffers(arena, 3, 65536);
            assertEquals(3, buffers.length);
            for (int i = 0; i < buffers.length; i++)
            {
                assertEquals(65536, buffers[i].byteSize());
                assertEquals(0, buffers[i].address() % Ring.BUFFER_ALIGNMENT_BYTES);
                assertEquals(0L, buffers[i].get(JAVA_LONG, 0));
                assertEquals(0L, buffers[i].get(JAVA_LONG, 65536 - 8));
                if (i > 0)
                {
                    assertEquals(buffers[i - 1].address() + 65536, buffers[i].address(), "adjacent, no overlap");
                }
            }
            assertEquals(0, buffers[0].address() % Ring.HUGE_PAGE_BYTES, "the first starts on a huge-page boundary");
            ring.registerBuffers(buffers);
            final Completions done = new Completions();
            for (int i = 0; i < buffers.length; i++)
            {
                ring.prepareReadFixed(fd, false, buffers[i], 65536, (long)i * 65536, i, i);
            }
            done.awaitCount(ring, 3);
            for (int i = 0; i < buffers.length; i++)
            {
                assertEquals(65536, done.resultOf(i));
                for (int b = 0; b < 65536; b += 4093)
                {
                    assertEquals(content[i * 65536 + b], buffers[i].get(JAVA_BYTE, b));
                }
            }
            ring.unregisterBuffers();
        }
        finally
        {
            Libc.close(fd);
        }
        assertThrows(IllegalStateException.class, () -> buffers[0].get(JAVA_BYTE, 0), "unmapped with its arena");
    }

    @Test
    void refusesSizesThatCannotBeAligned()
    {
        try (Arena arena = Arena.ofConfined())
        {
            assertThrows(IllegalArgumentException.class, () -> Ring.allocateBuffers(arena, 2, 1000));
            assertThrows(IllegalArgumentException.class, () -> Ring.allocateBuffers(arena, 0, 4096));
            assertTrue(Ring.allocateBuffers(arena, 1, 4096)[0].byteSize() == 4096);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }
}
