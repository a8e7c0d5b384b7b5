package io.presync.stream;

/**
 * An {@link AllocationMap} as one bit per 4 KiB block, in 128 MiB chunks allocated on first touch
 * (a two-level array, no boxing). Exact at its granularity; ranges must be 4 KiB aligned.
 */
final class BlockBitmap implements AllocationMap
{
    static final int BLOCK_SHIFT = 12;
    private static final int CHUNK_BLOCKS_SHIFT = 15;
    private static final int CHUNK_WORDS = (1 << CHUNK_BLOCKS_SHIFT) >>> 6;

    private long[][] chunks = new long[16][];

    @Override
    public long coveredBytes(final long startBytes, final long endBytes)
    {
        long count = 0;
        for (long block = startBytes >>> BLOCK_SHIFT, end = endBytes >>> BLOCK_SHIFT; block < end; block++)
        {
            final long[] chunk = chunk(block, false);
            if (chunk == null)
            {
                // Skip the rest of an untouched chunk.
                block = ((block >>> CHUNK_BLOCKS_SHIFT) + 1 << CHUNK_BLOCKS_SHIFT) - 1;
                continue;
            }
            final int bit = (int)(block & ((1 << CHUNK_BLOCKS_SHIFT) - 1));
            if ((chunk[bit >>> 6] & (1L << bit)) != 0)
            {
                count++;
            }
        }
        return count << BLOCK_SHIFT;
    }

    @Override
    public void insert(final long startBytes, final long endBytes)
    {
        for (long block = startBytes >>> BLOCK_SHIFT, end = endBytes >>> BLOCK_SHIFT; block < end; block++)
        {
            final long[] chunk = chunk(block, true);
            final int bit = (int)(block & ((1 << CHUNK_BLOCKS_SHIFT) - 1));
            chunk[bit >>> 6] |= 1L << bit;
        }
    }

    @Override
    public void remove(final long startBytes, final long endBytes)
    {
        for (long block = startBytes >>> BLOCK_SHIFT, end = endBytes >>> BLOCK_SHIFT; block < end; block++)
        {
            final long[] chunk = chunk(block, false);
            if (chunk == null)
            {
                block = ((block >>> CHUNK_BLOCKS_SHIFT) + 1 << CHUNK_BLOCKS_SHIFT) - 1;
                continue;
            }
            final int bit = (int)(block & ((1 << CHUNK_BLOCKS_SHIFT) - 1));
            chunk[bit >>> 6] &= ~(1L << bit);
        }
    }

    private long[] chunk(final long block, final boolean create)
    {
        final long index = block >>> CHUNK_BLOCKS_SHIFT;
        if (index >= chunks.length)
        {
            if (!create)
            {
                return null;
            }
            if (index >= Integer.MAX_VALUE - 8)
            {
                throw new IllegalArgumentException("offset beyond what the allocation bitmap can address: block " + block);
            }
            chunks = java.util.Arrays.copyOf(chunks, (int)Math.max(index + 1, chunks.length * 2L));
        }
        long[] chunk = chunks[(int)index];
        if (chunk == null && create)
        {
            chunk = new long[CHUNK_WORDS];
            chunks[(int)index] = chunk;
        }
        return chunk;
    }
}
