package io.presync.pool;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.ffi.Errno;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Copies a cold source (an image or a device nobody writes) into a partition; all-zero 4 KiB blocks
 * stay unmapped. The source is read through its own io_uring into {@link #QUEUE_DEPTH} registered
 * 1 MiB buffers; each chunk's runs of non-zero blocks go to {@link Partition#submitWrite} from the same
 * buffer (registered with the partition's ring too), so source reads and pool writes overlap:
 * <pre>
 *   slot i:  READ_FIXED(source, off) ──► zero scan ──► submitWrite(run) ... ──► all written ──► next read
 * </pre>
 * Chunks are handed to the partition in source order (a chunk read early waits for its predecessors),
 * so first-time data lands contiguously in the data space and the extent map stays small.
 */
public final class PartitionImport
{
    public static final int CHUNK_BYTES = 1 << 20;
    public static final int QUEUE_DEPTH = 16;
    private static final int BLOCK = Partition.BLOCK;

    private final Partition partition;
    private final BlockDevice source;
    private final long sizeBytes;
    private final MemorySegment[] buffers = new MemorySegment[QUEUE_DEPTH];
    private final long[] slotOffset = new long[QUEUE_DEPTH];
    private final long[] slotSeq = new long[QUEUE_DEPTH];
    private final int[] slotLength = new int[QUEUE_DEPTH];
    private final int[] slotResult = new int[QUEUE_DEPTH];
    private final int[] slotWrites = new int[QUEUE_DEPTH];
    private final boolean[] slotBusy = new boolean[QUEUE_DEPTH];
    private final boolean[] slotRead = new boolean[QUEUE_DEPTH];
    private final Reads reads = new Reads();
    private final WriteCompletionHandler writes = this::onWritten;
    private long nextOffset;
    private long nextSeq;
    private long applySeq;
    private int readsInFlight;
    private int busy;
    private long dataBytes;

    private PartitionImport(final Partition partition, final BlockDevice source, final Arena arena)
    {
        this.partition = partition;
        this.source = source;
        this.sizeBytes = source.sizeBytes();
        for (int i = 0; i < QUEUE_DEPTH; i++)
        {
            buffers[i] = Ring.allocateBuffer(arena, CHUNK_BYTES);
        }
    }

    /**
     * Imports the whole of {@code source} at logical offset 0 of {@code partition} and commits; returns
     * the bytes of data written (the source's size minus its all-zero blocks).
     *
     * @throws RefusedException when the source is larger than the partition's logical size or not a
     *         multiple of 4 KiB, or the partition fills up.
     */
    public static long importFrom(final Partition partition, final BlockDevice source) throws IOException
    {
        final long size = source.sizeBytes();
        if (size > partition.logicalSizeBytes() || size % BLOCK != 0)
        {
            throw new RefusedException(source.path() + " has " + size + " bytes; partition '" + partition.name() +
                "' takes a multiple of 4 KiB up to " + partition.logicalSizeBytes() + "; allocate it with a matching --logical-size");
        }
        try (Arena arena = Arena.ofShared())
        {
            final PartitionImport job = new PartitionImport(partition, source, arena);
            boolean done = false;
            try
            {
                if (Ring.unavailableReason() != null)
                {
                    job.runSynchronously();
                }
                else
                {
                    job.run();
                }
                partition.commit();
                done = true;
                return job.dataBytes;
            }
            finally
            {
                // Before the arena frees the buffers: nothing may be in flight from them, nor stay registered.
                try
                {
                    partition.completionHandler(null);
                    partition.registerBuffers(new MemorySegment[0]);
                }
                catch (final IOException ex)
                {
                    if (done)
                    {
                        throw ex;
                    }
                }
            }
        }
    }

    private void run() throws IOException
    {
        try (Ring ring = Ring.create(2 * QUEUE_DEPTH))
        {
            ring.registerBuffers(buffers);
            partition.registerBuffers(buffers);
            partition.completionHandler(writes);
            while (nextOffset < sizeBytes || busy > 0)
            {
                int progress = 0;
                for (int slot = 0; slot < QUEUE_DEPTH && nextOffset < sizeBytes; slot++)
                {
                    if (!slotBusy[slot])
                    {
                        startRead(ring, slot);
                        progress++;
                    }
                }
                ring.submit();
                progress += ring.reap(reads, QUEUE_DEPTH);
                progress += applyInOrder();
                progress += partition.poll();
                if (progress == 0)
                {
                    if (readsInFlight > 0 && nextReadyNotRead())
                    {
                        ring.submitAndWait(1);
                    }
                    else
                    {
                        partition.awaitCompletion();
                    }
                }
            }
            partition.drain();
        }
    }

    private void startRead(final Ring ring, final int slot) throws IOException
    {
        final int length = (int)Math.min(CHUNK_BYTES, sizeBytes - nextOffset);
        slotOffset[slot] = nextOffset;
        slotLength[slot] = length;
        slotSeq[slot] = nextSeq++;
        slotBusy[slot] = true;
        slotRead[slot] = false;
        slotWrites[slot] = 0;
        busy++;
        readsInFlight++;
        nextOffset += length;
        while (!ring.prepareReadFixed(source.fd(), false, buffers[slot].asSlice(0, length), length, slotOffset[slot], slot, slot))
        {
            ring.submit();
        }
    }

    /** True when the chunk to apply next is still being read (so waiting on the source ring makes progress). */
    private boolean nextReadyNotRead()
    {
        for (int slot = 0; slot < QUEUE_DEPTH; slot++)
        {
            if (slotBusy[slot] && slotSeq[slot] == applySeq)
            {
                return !slotRead[slot];
            }
        }
        return false;
    }

    /** Hands read chunks to the partition in source order; returns how many. */
    private int applyInOrder() throws IOException
    {
        int applied = 0;
        boolean found = true;
        while (found)
        {
            found = false;
            for (int slot = 0; slot < QUEUE_DEPTH; slot++)
            {
                if (slotBusy[slot] && slotRead[slot] && slotSeq[slot] == applySeq)
                {
                    apply(slot);
                    applySeq++;
                    applied++;
                    found = true;
                }
            }
        }
        return applied;
    }

    private void apply(final int slot) throws IOException
    {
        final int length = slotLength[slot];
        if (slotResult[slot] != length)
        {
            if (slotResult[slot] < 0)
            {
                throw Errno.exception("read of " + length + " bytes at offset " + slotOffset[slot], source.path().toString(), -slotResult[slot]);
            }
            throw new IOException(source.path() + ": read of " + length + " bytes at offset " + slotOffset[slot] + " returned " +
                slotResult[slot]);
        }
        slotRead[slot] = false;
        slotWrites[slot]++; // held while submitting, so a synchronous completion cannot free the slot early
        writeRuns(slot, buffers[slot], length);
        onWritten(slot);
    }

    /** Submits the runs of non-zero blocks of the chunk; zero blocks stay unmapped. */
    private void writeRuns(final int slot, final MemorySegment chunk, final int length) throws IOException
    {
        for (int start = nextDataBlock(chunk, 0, length); start < length; )
        {
            final int end = dataRunEnd(chunk, start, length);
            slotWrites[slot]++;
            partition.submitWrite(slotOffset[slot] + start, chunk.asSlice(start, end - start), slot, slot);
            dataBytes += end - start;
            start = nextDataBlock(chunk, end, length);
        }
    }

    /**
     * The offset of the first 4 KiB block at or after {@code from} (a block boundary) among the first {@code length}
     * bytes of {@code chunk} (a multiple of 4 KiB) that is not all zeros, or {@code length} when there is none.
     */
    static int nextDataBlock(final MemorySegment chunk, final int from, final int length)
    {
        int block = from;
        while (block < length && BlockHash.isZero(chunk, block))
        {
            block += BLOCK;
        }
        return block;
    }

    /** The end of the run of blocks that are not all zeros starting at {@code from}: the next all-zero block, or {@code length}. */
    static int dataRunEnd(final MemorySegment chunk, final int from, final int length)
    {
        int block = from;
        while (block < length && !BlockHash.isZero(chunk, block))
        {
            block += BLOCK;
        }
        return block;
    }

    private void onWritten(final long userData)
    {
        final int slot = (int)userData;
        if (--slotWrites[slot] == 0)
        {
            slotBusy[slot] = false;
            busy--;
        }
    }

    private void runSynchronously() throws IOException
    {
        final MemorySegment chunk = buffers[0];
        partition.completionHandler(null);
        for (long offset = 0; offset < sizeBytes; offset += CHUNK_BYTES)
        {
            final int length = (int)Math.min(CHUNK_BYTES, sizeBytes - offset);
            source.read(chunk.asSlice(0, length), offset);
            for (int start = nextDataBlock(chunk, 0, length); start < length; )
            {
                final int end = dataRunEnd(chunk, start, length);
                partition.write(offset + start, chunk.asSlice(start, end - start));
                dataBytes += end - start;
                start = nextDataBlock(chunk, end, length);
            }
        }
    }

    private final class Reads implements CompletionHandler
    {
        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            final int slot = (int)userData;
            slotResult[slot] = result;
            slotRead[slot] = true;
            readsInFlight--;
        }
    }
}
