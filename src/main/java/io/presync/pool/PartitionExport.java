package io.presync.pool;

import io.presync.ByteSizes;
import io.presync.RefusedException;
import io.presync.btree.ExtentCursor;
import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a partition's full logical image to a file or block device: mapped ranges are read (CRCs
 * checked) and written at their logical offsets; unmapped ranges are left as holes in a file (it is
 * created sparse at the logical size) and discarded on a device, never written as zeros.
 */
final class PartitionExport
{
    private static final int CHUNK_BYTES = 4 << 20;

    private PartitionExport()
    {
    }

    static ExportResult export(final Partition partition, final PoolIo poolIo, final Path target, final boolean overwrite)
        throws IOException
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
}
