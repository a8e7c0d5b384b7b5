package io.presync.replicate;

import io.presync.btree.ExtentMap;
import io.presync.device.BlockDevice;
import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The allocation map of a master: which byte ranges hold data. For a loop device it is the backing
 * file's SEEK_DATA/SEEK_HOLE map (exact, no data read); otherwise a zero-detecting scan through the
 * ring that keeps every 4 KiB block with a non-zero byte. The map is an {@link ExtentMap} (payload 0);
 * {@link ExtentMap#snapshotView()} freezes it at T0 while the live map can keep changing.
 */
public final class MasterMap
{
    /** Granularity of the zero-detecting scan. */
    public static final int BLOCK_BYTES = 4096;
    private static final int SCAN_CHUNK_BYTES = 1 << 20;

    private MasterMap()
    {
    }

    /** Builds the map of {@code master}; {@code ring} is used only for the zero-detecting scan. */
    public static ExtentMap build(final BlockDevice master, final Ring ring) throws IOException
    {
        final ExtentMap map = ExtentMap.inMemory();
        try
        {
            if (master.hasAllocationMap())
            {
                final long size = master.sizeBytes();
                // Rounded out to 4 KiB: the copy and the partition work in whole blocks.
                master.forEachAllocatedExtent((start, end) ->
                    map.insert(start & ~(BLOCK_BYTES - 1L), Math.min(size, (end + BLOCK_BYTES - 1) & ~(BLOCK_BYTES - 1L)), 0));
            }
            else
            {
                scan(master, ring, map);
            }
            return map;
        }
        catch (final IOException | RuntimeException ex)
        {
            map.close();
            throw ex;
        }
    }

    /** Reads the whole device through the ring and records every block that is not all zeros. */
    static void scan(final BlockDevice master, final Ring ring, final ExtentMap map) throws IOException
    {
        final long size = master.sizeBytes();
        final int[] result = new int[1];
        final CompletionHandler handler = (userData, res, flags) -> result[0] = res;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = Ring.allocateBuffer(arena, SCAN_CHUNK_BYTES);
            long runStart = -1;
            for (long offset = 0; offset < size; offset += SCAN_CHUNK_BYTES)
            {
                final int length = (int)Math.min(SCAN_CHUNK_BYTES, size - offset);
                ring.prepareRead(master.fd(), false, buffer, length, offset, 1);
                ring.submitAndWait(1);
                ring.reap(handler, 1);
                if (result[0] != length)
                {
                    throw new IOException(master.path() + ": read at " + offset + " returned " + result[0]);
                }
                for (int block = 0; block < length; block += BLOCK_BYTES)
                {
                    final boolean zero = isZero(buffer, block, Math.min(BLOCK_BYTES, length - block));
                    if (!zero && runStart < 0)
                    {
                        runStart = offset + block;
                    }
                    else if (zero && runStart >= 0)
                    {
                        map.insert(runStart, offset + block, 0);
                        runStart = -1;
                    }
                }
            }
            if (runStart >= 0)
            {
                map.insert(runStart, size, 0);
            }
        }
    }

    static boolean isZero(final MemorySegment buffer, final long offset, final int length)
    {
        for (int i = 0; i < length; i += 8)
        {
            if (buffer.get(ValueLayout.JAVA_LONG_UNALIGNED, offset + i) != 0)
            {
                return false;
            }
        }
        return true;
    }
}
