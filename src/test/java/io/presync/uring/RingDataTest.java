package io.presync.uring;

import io.presync.device.LoopDevices;
import io.presync.ffi.Libc;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Random data written then read back through the ring at random aligned offsets and sizes, at queue
 * depths 1 to 256, with plain and registered buffers and files, to a regular file and to a loop device,
 * all opened with O_DIRECT. A model of the target's bytes is checked at the end against the backing
 * file read through the page cache, so a write landing in the wrong place cannot hide.
 */
class RingDataTest
{
    private static final int BLOCK_BYTES = 4096;
    /** Operations in one batch use distinct slots, so in-flight operations never overlap. */
    private static final int SLOT_BYTES = 64 << 10;
    private static final int SLOTS = 256;
    private static final long TARGET_BYTES = (long)SLOT_BYTES * SLOTS;
    private static final int ROUNDS = 3;

    enum Target { FILE, LOOP_DEVICE }

    enum Mode { PLAIN, FIXED_BUFFERS, FIXED_BUFFERS_AND_FILES }

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @TempDir
    Path dir;

    @BeforeAll
    static void needIoUring()
    {
        assumeTrue(Ring.unavailableReason() == null, () -> "io_uring unavailable: " + Ring.unavailableReason());
    }

    static Stream<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final Target target : Target.values())
        {
            for (final int depth : new int[] {1, 8, 64, 256})
            {
                for (final Mode mode : Mode.values())
                {
                    cases.add(Arguments.of(target, depth, mode));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} depth {1} {2}")
    @MethodSource("cases")
    void writtenDataReadsBack(final Target target, final int depth, final Mode mode) throws IOException
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final Path backingFile;
        final String path;
        if (target == Target.FILE)
        {
            backingFile = dir.resolve("target.img");
            try (RandomAccessFile raf = new RandomAccessFile(backingFile.toFile(), "rw"))
            {
                raf.setLength(TARGET_BYTES);
            }
            path = backingFile.toString();
        }
        else
        {
            final LoopDevices.Loop loop = loops.create(TARGET_BYTES);
            backingFile = loop.backingFile();
            path = loop.path();
        }
        final byte[] model = new byte[(int)TARGET_BYTES];
        final int fd = Libc.open(path, Libc.O_RDWR | Libc.O_DIRECT, 0);
        try (Ring ring = Ring.create(depth); Arena arena = Arena.ofConfined())
        {
            final MemorySegment writeBuffers = Ring.allocateBuffer(arena, (long)depth * SLOT_BYTES);
            final MemorySegment readBuffers = Ring.allocateBuffer(arena, (long)depth * SLOT_BYTES);
            final boolean fixedBuffers = mode != Mode.PLAIN;
            final boolean fixedFile = mode == Mode.FIXED_BUFFERS_AND_FILES;
            if (fixedBuffers)
            {
                ring.registerBuffers(new MemorySegment[] {writeBuffers, readBuffers});
            }
            if (fixedFile)
            {
                ring.registerFiles(new int[] {fd});
            }
            final int fileArg = fixedFile ? 0 : fd;
            final List<Integer> slots = new ArrayList<>();
            for (int i = 0; i < SLOTS; i++)
            {
                slots.add(i);
            }
            final long[] offsets = new long[depth];
            final int[] lengths = new int[depth];
            final Completions done = new Completions();
            for (int round = 0; round < ROUNDS; round++)
            {
                Collections.shuffle(slots, random);
                for (int i = 0; i < depth; i++)
                {
                    final int blocks = 1 + random.nextInt(SLOT_BYTES / BLOCK_BYTES);
                    final int startBlock = random.nextInt(SLOT_BYTES / BLOCK_BYTES - blocks + 1);
                    offsets[i] = (long)slots.get(i) * SLOT_BYTES + (long)startBlock * BLOCK_BYTES;
                    lengths[i] = blocks * BLOCK_BYTES;
                    final byte[] data = new byte[lengths[i]];
                    random.nextBytes(data);
                    MemorySegment.copy(MemorySegment.ofArray(data), 0, writeBuffers, (long)i * SLOT_BYTES, data.length);
                    System.arraycopy(data, 0, model, (int)offsets[i], data.length);
                }

                done.clear();
                for (int i = 0; i < depth; i++)
                {
                    final MemorySegment source = writeBuffers.asSlice((long)i * SLOT_BYTES, lengths[i]);
                    final boolean prepared = fixedBuffers ?
                        ring.prepareWriteFixed(fileArg, fixedFile, source, lengths[i], offsets[i], 0, UserData.encode(1, i)) :
                        ring.prepareWrite(fileArg, fixedFile, source, lengths[i], offsets[i], UserData.encode(1, i));
                    assertEquals(true, prepared);
                }
                done.awaitCount(ring, depth);
                for (int i = 0; i < depth; i++)
                {
                    assertEquals(lengths[i], done.resultOf(UserData.encode(1, i)), "write " + i + ", seed " + seed);
                }

                readBuffers.fill((byte)0x5A);
                done.clear();
                for (int i = 0; i < depth; i++)
                {
                    final MemorySegment destination = readBuffers.asSlice((long)i * SLOT_BYTES, lengths[i]);
                    final boolean prepared = fixedBuffers ?
                        ring.prepareReadFixed(fileArg, fixedFile, destination, lengths[i], offsets[i], 1, UserData.encode(2, i)) :
                        ring.prepareRead(fileArg, fixedFile, destination, lengths[i], offsets[i], UserData.encode(2, i));
                    assertEquals(true, prepared);
                }
                done.awaitCount(ring, depth);
                for (int i = 0; i < depth; i++)
                {
                    assertEquals(lengths[i], done.resultOf(UserData.encode(2, i)), "read " + i + ", seed " + seed);
                    final long mismatch = MemorySegment.mismatch(
                        readBuffers, (long)i * SLOT_BYTES, (long)i * SLOT_BYTES + lengths[i],
                        MemorySegment.ofArray(model), offsets[i], offsets[i] + lengths[i]);
                    assertEquals(-1L, mismatch, "read " + i + " differs at byte " + mismatch + ", seed " + seed);
                }
            }
            ring.prepareFsync(fileArg, fixedFile, false, 99);
            done.clear();
            done.awaitCount(ring, 1);
            assertEquals(0, done.resultOf(99));
        }
        finally
        {
            Libc.close(fd);
        }
        // Independent path: the backing file through the page cache (loop devices here use buffered I/O
        // on their backing file, so what the device wrote is there).
        final byte[] stored = Files.readAllBytes(backingFile);
        assertEquals(-1L, MemorySegment.ofArray(stored).mismatch(MemorySegment.ofArray(model)), "seed " + seed);
    }
}
