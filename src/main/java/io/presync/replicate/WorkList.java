package io.presync.replicate;

import java.util.Arrays;

/**
 * The bulk pass's work items in visiting order: chunks of at most {@link ReplicationJob#CHUNK_BYTES} are added one
 * by one, each with its kind (copy, or compare on a resume), and a chunk that continues the last item's range with
 * the same kind joins it while the item stays within {@code maxItemBytes}: one read and one partition write for
 * several chunks. A chunk to compare never joins one to copy, so an item's kind is the kind of each of its chunks.
 * {@link #seal()} ends the current item for good (a region boundary: items never span regions, where the job looks
 * for them by region).
 * <pre>
 *   add(chunk 0, copy) add(chunk 1, copy) add(chunk 2, compare) seal() add(chunk 3, copy) ...
 *   items: [0 1: copy] [2: compare] | [3 ...: copy]
 * </pre>
 * Items of one sealed run are ascending and disjoint when the chunks added are.
 */
final class WorkList
{
    private final long maxItemBytes;
    long[] start = new long[1024];
    long[] end = new long[1024];
    byte[] kind = new byte[1024];
    int count;
    private int firstOpen;

    WorkList(final long maxItemBytes)
    {
        this.maxItemBytes = maxItemBytes;
    }

    /** Adds the chunk {@code [chunkStart, chunkEnd)} of {@code chunkKind}: joins the last item or starts one. */
    void add(final long chunkStart, final long chunkEnd, final int chunkKind)
    {
        final int last = count - 1;
        if (last >= firstOpen && end[last] == chunkStart && kind[last] == chunkKind && chunkEnd - start[last] <= maxItemBytes)
        {
            end[last] = chunkEnd;
            return;
        }
        if (count == start.length)
        {
            start = Arrays.copyOf(start, 2 * count);
            end = Arrays.copyOf(end, 2 * count);
            kind = Arrays.copyOf(kind, 2 * count);
        }
        start[count] = chunkStart;
        end[count] = chunkEnd;
        kind[count] = (byte)chunkKind;
        count++;
    }

    /** No chunk added from now on joins an item added before. */
    void seal()
    {
        firstOpen = count;
    }

    /** Bytes of all items. */
    long totalBytes()
    {
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            total += end[i] - start[i];
        }
        return total;
    }
}
