package io.presync.pool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * A 64-bit non-linear hash of one 4 KiB block, stored next to the block's CRC32C
 * ({@link ChecksumAreaDescriptor}). Four independent lanes each absorb every fourth little-endian
 * long with a multiply-rotate-multiply step (so the CPU overlaps the multiplications), the lanes are
 * folded together and the result goes through a final avalanche; the structure is the well known
 * xxHash64 one, written here over a {@link MemorySegment}. Unlike CRC32C it is not affine in the
 * input bits, so a block that stores a CRC32C of its own bytes cannot keep its hash constant when it
 * changes. Not cryptographic: it detects accidents, not adversaries.
 *
 * <p>Callers on the data path pass native segments only (the zero record is a constant,
 * {@link ChecksumAreaDescriptor#ZERO_BLOCK_HASH}, not hashed from a heap array): one heap segment
 * reaching the compiled loop makes the JIT throw the code away and recompile it for two segment
 * kinds, which ran the final verify's hashing at a third of its speed.
 */
public final class BlockHash
{
    public static final int BLOCK_BYTES = 4096;
    /** Longs of one block: the size of the scratch array of {@link #hash(MemorySegment, long, long[])}. */
    public static final int BLOCK_LONGS = BLOCK_BYTES / Long.BYTES;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long SEED = 0x7072657379636e63L; // "presyncc": a fixed seed, part of the format

    /** 4 KiB of zeros in native memory, for {@link #isZero} (native like the data it is compared with). */
    private static final MemorySegment ZEROS = Arena.global().allocate(BLOCK_BYTES, BLOCK_BYTES);

    private BlockHash()
    {
    }

    /**
     * Whether the 4096 bytes of {@code data} at {@code offset} are all zero: then their CRC32C and hash are
     * the constants {@link ChecksumAreaDescriptor#ZERO_BLOCK_CRC} and {@link ChecksumAreaDescriptor#ZERO_BLOCK_HASH}
     * and need no computing. A block holding data fails at its first non-zero long, so the check costs
     * little next to the hash; a zero block (file-system metadata, preallocated files) is scanned once,
     * vectorised, at several times the hash's speed.
     */
    public static boolean isZero(final MemorySegment data, final long offset)
    {
        return data.get(LONG, offset) == 0 && MemorySegment.mismatch(data, offset, offset + BLOCK_BYTES, ZEROS, 0, BLOCK_BYTES) < 0;
    }

    /**
     * The CRC32C of the 4096 bytes of {@code view} at {@code offset}, the other half of a block's checksum record
     * ({@link ChecksumAreaDescriptor}), through {@code crc} (the caller's, reset here). Whatever the view's position
     * and limit, they are left at the block's end; the data path's callers share one view per buffer rather than
     * slicing one per block.
     */
    public static int crc32c(final CRC32C crc, final ByteBuffer view, final int offset)
    {
        crc.reset();
        crc.update(view.limit(offset + BLOCK_BYTES).position(offset));
        return (int)crc.getValue();
    }

    /** The hash of the 4096 bytes of {@code data} at {@code offset}. */
    public static long hash(final MemorySegment data, final long offset)
    {
        long a1 = SEED + P1 + P2;
        long a2 = SEED + P2;
        long a3 = SEED;
        long a4 = SEED - P1;
        for (long i = offset, end = offset + BLOCK_BYTES; i < end; i += 32)
        {
            a1 = round(a1, data.get(LONG, i));
            a2 = round(a2, data.get(LONG, i + 8));
            a3 = round(a3, data.get(LONG, i + 16));
            a4 = round(a4, data.get(LONG, i + 24));
        }
        return finish(a1, a2, a3, a4);
    }

    private static long finish(final long a1, final long a2, final long a3, final long a4)
    {
        long h = Long.rotateLeft(a1, 1) + Long.rotateLeft(a2, 7) + Long.rotateLeft(a3, 12) + Long.rotateLeft(a4, 18);
        h = merge(h, a1);
        h = merge(h, a2);
        h = merge(h, a3);
        h = merge(h, a4);
        h += BLOCK_BYTES;
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    /**
     * The same hash as {@link #hash(MemorySegment, long)}, faster: the block is first copied into {@code scratch}
     * (at least {@link #BLOCK_LONGS} longs, the caller's, reused) and hashed from there. C2 bounds-checks an array
     * loop once and unrolls it, which it does not do for segment accesses: 14 GB/s against 8 GB/s on this machine,
     * compiled as the JIT policy compiles it (C2 for this class, C1 for the caller), copy included.
     */
    public static long hash(final MemorySegment data, final long offset, final long[] scratch)
    {
        MemorySegment.copy(data, LONG, offset, scratch, 0, BLOCK_LONGS);
        long a1 = SEED + P1 + P2;
        long a2 = SEED + P2;
        long a3 = SEED;
        long a4 = SEED - P1;
        for (int i = 0; i < BLOCK_LONGS; i += 4)
        {
            a1 = round(a1, scratch[i]);
            a2 = round(a2, scratch[i + 1]);
            a3 = round(a3, scratch[i + 2]);
            a4 = round(a4, scratch[i + 3]);
        }
        return finish(a1, a2, a3, a4);
    }

    private static long round(final long acc, final long input)
    {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
    }

    private static long merge(final long h, final long acc)
    {
        return (h ^ round(0, acc)) * P1 + P4;
    }
}
