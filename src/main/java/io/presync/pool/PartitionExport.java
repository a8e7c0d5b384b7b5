package io.presync.pool;

import io.presync.ByteSizes;
import io.presync.RefusedException;
import io.presync.btree.ExtentCursor;
import io.presync.device.BlockDevice;
import io.presync.device.DeviceCopy;
import io.presync.device.OpenOptions;
import io.presync.ffi.Errno;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a partition's full logical image to a file or block device: mapped ranges are read (checksums
 * checked) and written at their logical offsets; unmapped ranges are left as holes in a file (it is
 * created sparse at the logical size) and discarded on a device, never written as zeros.
 *
 * <p>Through one io_uring: {@link #QUEUE_DEPTH} registered 1 MiB buffers, each a slot cycling
 * <pre>
 *   READ_FIXED(pool, device offset of the chunk) ──► check CRC32C ──► WRITE_FIXED(target, logical offset)
 *   user_data = slot &lt;&lt; 1 | (1 for the write)
 * </pre>
 * so reads of the pool and writes of the target overlap. A chunk is one device-contiguous piece of
 * one mapped extent (at most 1 MiB); the holes between extents come from the partition's map, so
 * they are never read. Without io_uring the copy is synchronous, chunk by chunk.
 */
final class PartitionExport
{
    private static final int CHUNK_BYTES = 1 << 20;
    static final int QUEUE_DEPTH = 16;

    private PartitionExport()
    {
    }

    static ExportResult export(final Partition partition, final MasterIdentity master, final PoolIo poolIo, final Path target,
        final boolean overwrite, final DeviceCopy.Progress progress) throws IOException
    {
        final long logical = partition.logicalSizeBytes();
        final boolean existing = Files.exists(target);
        final boolean regular = !existing || Files.isRegularFile(target);
        if (regular)
        {
            if (existing && Files.size(target) > 0 && !overwrite)
            {
                throw new RefusedException(target + " exists; pass --force to overwrite it");
            }
            try (RandomAccessFile file = new RandomAccessFile(target.toFile(), "rw"))
            {
                // Truncating to zero first drops every old block, so unwritten ranges are holes.
                file.setLength(0);
                file.setLength(logical);
            }
        }
        try (BlockDevice out = BlockDevice.open(target, OpenOptions.forWriting().withAllowRegularFile(true));
             Arena arena = Arena.ofConfined())
        {
            if (out.isBlockDevice())
            {
                if (out.sizeBytes() < logical)
                {
                    throw new RefusedException(target + " holds " + ByteSizes.format(out.sizeBytes()) + " but partition '" +
                        partition.name() + "' is " + ByteSizes.format(logical) + "; use a larger device");
                }
                if (out.path().toRealPath().equals(poolIo.path().toRealPath()))
                {
                    throw new RefusedException(target + " is the pool's own device; export to another device or a file");
                }
                // As with a non-empty file: what a device visibly holds is overwritten only when asked to.
                if (!overwrite)
                {
                    if (master != null && MasterIdentity.matches(out.path(), out.sizeBytes(), master))
                    {
                        throw new RefusedException(target + " is the master partition '" + partition.name() + "' replicates; " +
                            "pass --force to overwrite it with the replica (a restore), or export to another device or a file");
                    }
                    final List<Signatures.Found> found = Signatures.detect(out.path());
                    if (!found.isEmpty())
                    {
                        throw new RefusedException(target + " holds " + found.get(0).description() + "; pass --force to " +
                            "overwrite it with partition '" + partition.name() + "'");
                    }
                }
            }
            if (poolIo.fd() >= 0 && Ring.unavailableReason() == null)
            {
                final long[] counts = new long[2];
                new Pipeline(partition, poolIo, out, progress).run(counts);
                out.flush();
                return new ExportResult(logical, counts[0], counts[1]);
            }
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, CHUNK_BYTES, 4096);
            long dataBytes = 0;
            long holeBytes = 0;
            long position = 0;
            final ExtentCursor cursor = partition.mappedExtents();
            while (cursor.next())
            {
                holeBytes += hole(out, position, cursor.start());
                for (long offset = cursor.start(); offset < cursor.end(); offset += CHUNK_BYTES)
                {
                    final MemorySegment chunk = buffer.asSlice(0, Math.min(CHUNK_BYTES, cursor.end() - offset));
                    partition.read(offset, chunk);
                    out.write(chunk, offset);
                    dataBytes += chunk.byteSize();
                }
                position = cursor.end();
            }
            holeBytes += hole(out, position, logical);
            out.flush();
            return new ExportResult(logical, dataBytes, holeBytes);
        }
    }

    private static long hole(final BlockDevice out, final long start, final long end) throws IOException
    {
        if (end > start && out.isBlockDevice())
        {
            out.release(start, end - start);
        }
        return Math.max(0, end - start);
    }

    /** The ring pipeline of the class comment; one use. */
    private static final class Pipeline implements CompletionHandler
    {
        private final Partition partition;
        private final PoolIo poolIo;
        private final BlockDevice out;
        /** Told the bytes done (data written and holes) as {@link DeviceCopy.Progress} says; null: nobody asks. */
        private final DeviceCopy.Progress progress;
        private final long logical;
        private final MemorySegment[] buffers = new MemorySegment[QUEUE_DEPTH];
        private final long[] slotLogical = new long[QUEUE_DEPTH];
        private final long[] slotDevice = new long[QUEUE_DEPTH];
        private final long[] slotData = new long[QUEUE_DEPTH];
        private final int[] slotLength = new int[QUEUE_DEPTH];
        private final int[] slotResult = new int[QUEUE_DEPTH];
        private final boolean[] slotBusy = new boolean[QUEUE_DEPTH];
        private final boolean[] slotWriting = new boolean[QUEUE_DEPTH];
        private final boolean[] slotDone = new boolean[QUEUE_DEPTH];
        private final long[] location = new long[3];
        private int inFlight;

        Pipeline(final Partition partition, final PoolIo poolIo, final BlockDevice out, final DeviceCopy.Progress progress)
        {
            this.partition = partition;
            this.poolIo = poolIo;
            this.out = out;
            this.progress = progress;
            this.logical = partition.logicalSizeBytes();
        }

        /** Copies everything; {@code counts[0]} = data bytes written, {@code counts[1]} = hole bytes. */
        void run(final long[] counts) throws IOException
        {
            try (Arena arena = Arena.ofConfined(); Ring ring = Ring.create(2 * QUEUE_DEPTH))
            {
                for (int i = 0; i < QUEUE_DEPTH; i++)
                {
                    buffers[i] = Ring.allocateBuffer(arena, CHUNK_BYTES);
                }
                ring.registerBuffers(buffers);
                final int poolFd = poolIo.fd();
                final int outFd = out.fd();
                long position = 0;
                long lastProgress = System.nanoTime();
                while (true)
                {
                    if (progress != null && System.nanoTime() - lastProgress >= DeviceCopy.Progress.INTERVAL_NANOS)
                    {
                        lastProgress = System.nanoTime();
                        progress.onProgress(counts[0] + counts[1], logical); // written data and holes
                    }
                    // Fill every free slot with the next mapped chunk; holes are skipped (and discarded on a device).
                    for (int slot = 0; slot < QUEUE_DEPTH && position < logical; slot++)
                    {
                        if (slotBusy[slot])
                        {
                            continue;
                        }
                        partition.locate(position, logical - position, location);
                        if (location[0] < 0)
                        {
                            counts[1] += hole(out, position, position + location[1]);
                            position += location[1];
                            slot--;
                            continue;
                        }
                        final int length = (int)Math.min(CHUNK_BYTES, location[1]);
                        slotLogical[slot] = position;
                        slotDevice[slot] = location[0];
                        slotData[slot] = location[2];
                        slotLength[slot] = length;
                        slotBusy[slot] = true;
                        slotWriting[slot] = false;
                        inFlight++;
                        while (!ring.prepareReadFixed(poolFd, false, buffers[slot].asSlice(0, length), length, location[0], slot,
                            (long)slot << 1))
                        {
                            ring.submit();
                        }
                        position += length;
                    }
                    if (inFlight == 0)
                    {
                        if (progress != null)
                        {
                            progress.onProgress(counts[0] + counts[1], logical);
                        }
                        break;
                    }
                    ring.submitAndWait(1);
                    ring.reap(this, QUEUE_DEPTH);
                    for (int slot = 0; slot < QUEUE_DEPTH; slot++)
                    {
                        if (!slotDone[slot])
                        {
                            continue;
                        }
                        slotDone[slot] = false;
                        final int length = slotLength[slot];
                        final MemorySegment chunk = buffers[slot].asSlice(0, length);
                        if (!slotWriting[slot])
                        {
                            check(slotResult[slot], length, "read", poolIo.path().toString(), slotDevice[slot]);
                            partition.checkBlocks(slotData[slot], chunk, slotLogical[slot]);
                            slotWriting[slot] = true;
                            while (!ring.prepareWriteFixed(outFd, false, chunk, length, slotLogical[slot], slot, ((long)slot << 1) | 1))
                            {
                                ring.submit();
                            }
                        }
                        else
                        {
                            check(slotResult[slot], length, "write", out.path().toString(), slotLogical[slot]);
                            counts[0] += length;
                            slotBusy[slot] = false;
                            inFlight--;
                        }
                    }
                }
            }
        }

        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            final int slot = (int)(userData >>> 1);
            slotResult[slot] = result;
            slotDone[slot] = true;
        }

        private static void check(final int result, final int length, final String call, final String path, final long offset)
            throws IOException
        {
            if (result < 0)
            {
                throw Errno.exception(call + " of " + length + " bytes at offset " + offset, path, -result);
            }
            if (result != length)
            {
                throw new IOException(path + ": " + call + " of " + length + " bytes at offset " + offset + " transferred " + result +
                    " (the device ended early?)");
            }
        }
    }
}
