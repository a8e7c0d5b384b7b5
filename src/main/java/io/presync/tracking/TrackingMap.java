package io.presync.tracking;

import io.presync.btree.BTree;
import io.presync.btree.ExtentConsumer;
import io.presync.btree.ExtentMap;
import io.presync.btree.MemoryPageStore;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.util.Arrays;

/**
 * Hierarchical dirty tracking of the writes a master takes while it is being copied: exact, never
 * loses a dirty block, and costs little memory where writes are sparse.
 *
 * <h2>Levels</h2>
 * <pre>
 *  address ─► granule g = offset / granuleBytes (default 1 MiB)
 *
 *  coarse  (granules not hot)   ExtentMap  [start, end) → maxSeq          one B-tree entry per dirty run
 *      whole-granule mode:      [g·G, (g+1)·G) on any write into g
 *      span mode (default):     the 4 KiB-aligned write itself, next to at most one older span in g (the
 *                               older dirty pieces merged at their highest seq); writes that would open
 *                               a gap in the span promote g first (or, if promotion is off, widen the
 *                               span at the new seq)
 *
 *  fine    (hot granules)       slot:  bits   [G/4 KiB bits]  1 = dirty 4 KiB block             32 B
 *                                      maxSeq, owner, dirty count, seq array index             20 B
 *                                      seqs   [G/4 KiB longs] last-dirtying seq of each block  2048 B
 *                                                                                  (1 MiB granule)
 *  compact (fine, quiet)        the same slot without its seq array: every dirty block counts at maxSeq
 * </pre>
 * A granule is either coarse or fine, never both: promotion moves its coarse extents into the bitmap
 * (each block gets its extent's seq). {@link #settle} handles granules that went quiet: per-block seqs
 * only matter while a copy may race a write, so a quiet fine granule drops them (compact); if its dirty
 * blocks form at most {@code demoteMaxRuns} runs and it is not pinned, it goes back to coarse extents
 * instead, one per run with the run's highest seq. A new write into a compact granule gives it a seq
 * array again (old dirty blocks at the old maxSeq). A fine granule's slot is freed as soon as it has no
 * dirty block; its hot state lives on in a small per-granule record until it settles.
 *
 * <h2>Sequence numbers and the clear rule</h2>
 * Every completed write is {@link #mark marked} with a strictly increasing sequence number. A copy
 * takes {@code readStartSeq} (the sequence number the next write would get) before it submits its read,
 * and after the data is safely written calls {@link #clear}: a block stays dirty when its last-dirtying
 * seq is {@code >= readStartSeq}, because the read may have missed that write. A coarse extent's payload
 * is the maximum seq of the writes that made it dirty, so coarse clears are conservative: the extent
 * (the part inside the cleared range) stays when any of its writes may have been missed. Neighbouring
 * coarse extents merge only when their seqs are equal (the same write), so one granule's late write
 * never keeps another granule dirty: over-reporting stays inside the granule that received a write at
 * or after the clear's {@code readStartSeq}. Ranges are rounded to 4 KiB blocks: outwards for marks,
 * inwards for clears (a partially copied block stays dirty).
 *
 * <h2>Promotion and settling</h2>
 * A granule becomes fine after {@code promoteAfterWrites} writes into it (counted since it last settled),
 * or on its first write when it lies in a range pinned by {@link #markHot}. In span mode only writes
 * that open a gap in the granule's dirty span count: a sequential stream is tracked exactly by its span
 * and needs no bitmap, and with {@code promoteAfterWrites = 1} the first write that would open a gap
 * promotes the granule before it lands, so a span covers clean bytes only where a clear cut a hole
 * into it that a later write merged over. In whole-granule mode every
 * write counts: {@code promoteAfterWrites = 1} there makes every written granule fine.
 * {@link #settle} compacts or demotes fine granules that saw no write for {@code idleNanos} (pinned ones
 * are only compacted) and forgets the write counts of quiet coarse granules.
 *
 * <p>Single-threaded: one owner (the replication job's duty cycle). Marks, clears and batches allocate
 * nothing in the common case; arrays grow by doubling when more granules are active than ever before.
 */
public final class TrackingMap implements AutoCloseable
{
    /** Fine tracking unit. */
    public static final int BLOCK_BYTES = 4096;
    private static final int BLOCK_SHIFT = 12;
    private static final long BLOCK_MASK = BLOCK_BYTES - 1;
    private static final long MISSING = -1;

    /** Per-granule record: granule index 8, write count 4, last write nanos 8, slot 4, fine flag 1. */
    static final int RECORD_BYTES = 8 + 4 + 8 + 4 + 1;

    /** Settings, validated by {@link #conclude()}. */
    public static final class Context
    {
        private long granuleBytes = 1L << 20;
        private int promoteAfterWrites = 1;
        private boolean coarseSpans = true;
        private int demoteMaxRuns = 2;
        private int maxSeqArrays = 32;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;

        /** Coarse granule, a power of two of at least 4 KiB (default 1 MiB). */
        public Context granuleBytes(final long granuleBytes)
        {
            this.granuleBytes = granuleBytes;
            return this;
        }

        /**
         * Writes into one granule after which it gets a fine bitmap (in span mode: writes that open a gap
         * in its dirty span, and the promotion happens before that write lands); 0 = never. With whole
         * granules, 1 = fine everywhere. Default 1: on the CloudPhysics replay (scripts/bench tracking)
         * any later promotion costs re-copy bytes, because the gaps opened before it stay dirty.
         */
        public Context promoteAfterWrites(final int promoteAfterWrites)
        {
            this.promoteAfterWrites = promoteAfterWrites;
            return this;
        }

        /** Coarse extents as write-sized spans within each granule (true) or whole granules (false). */
        public Context coarseSpans(final boolean coarseSpans)
        {
            this.coarseSpans = coarseSpans;
            return this;
        }

        /**
         * A quiet fine granule whose dirty blocks form at most this many runs becomes coarse extents
         * (one per run) in {@link #settle}; one with more runs keeps its bitmap but drops its per-block
         * seqs (compact). Default 2: an extent costs about as much as a compact bitmap.
         */
        public Context demoteMaxRuns(final int demoteMaxRuns)
        {
            this.demoteMaxRuns = demoteMaxRuns;
            return this;
        }

        /**
         * At most this many fine granules keep per-block seqs at once (default 32, 66 KiB with 1 MiB
         * granules); beyond it the least recently written one is compacted, which is always safe and
         * costs precision only where a copy races a write into that granule (on the CloudPhysics replay
         * caps from 16 to 96 changed the re-copy bytes by less than 0.1 %).
         */
        public Context maxSeqArrays(final int maxSeqArrays)
        {
            this.maxSeqArrays = maxSeqArrays;
            return this;
        }

        /** Clock for the last-write times that {@link #settle} compares (marks without a time). */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        public long granuleBytes()
        {
            return granuleBytes;
        }

        public int promoteAfterWrites()
        {
            return promoteAfterWrites;
        }

        public boolean coarseSpans()
        {
            return coarseSpans;
        }

        public Context conclude()
        {
            if (granuleBytes < BLOCK_BYTES || Long.bitCount(granuleBytes) != 1 || granuleBytes > (1L << 30))
            {
                throw new IllegalArgumentException("granuleBytes must be a power of two from 4 KiB to 1 GiB: " + granuleBytes);
            }
            if (maxSeqArrays < 1)
            {
                throw new IllegalArgumentException("maxSeqArrays must be >= 1: " + maxSeqArrays);
            }
            if (demoteMaxRuns < 0)
            {
                throw new IllegalArgumentException("demoteMaxRuns must be >= 0: " + demoteMaxRuns);
            }
            if (promoteAfterWrites < 0)
            {
                throw new IllegalArgumentException("promoteAfterWrites must be >= 0: " + promoteAfterWrites);
            }
            if (nanoClock == null)
            {
                throw new IllegalArgumentException("nanoClock must be set");
            }
            return this;
        }
    }

    private final long granuleBytes;
    private final int granuleShift;
    private final int blocksPerGranule;
    private final int wordsPerGranule;
    private final int promoteAfterWrites;
    private final boolean coarseSpans;
    private final int demoteMaxRuns;
    private final int maxSeqArrays;
    private final NanoClock nanoClock;

    private final MemoryPageStore pages;
    private final ExtentMap coarse;
    private final ExtentMap hot;
    private final long[] probe = new long[3];
    private final GranulePieces pieces = new GranulePieces();

    // Granule records: index by granule, dense arrays with a free list.
    private final Long2LongHashMap recordOfGranule = new Long2LongHashMap(MISSING);
    private long[] recGranule = new long[16];
    private int[] recWrites = new int[16];
    private long[] recLastWriteNanos = new long[16];
    private int[] recSlot = new int[16];
    private boolean[] recFine = new boolean[16];
    private int recHigh;
    private int[] recFree = new int[16];
    private int recFreeCount;
    private int liveRecords;

    // Fine slots: bitmap, owner record, dirty block count, highest seq, and the index of the slot's
    // per-block seq array in the seq pool (-1 while the slot is compact).
    private long[] slotBits;
    private int[] slotOwner = new int[8];
    private int[] slotDirty = new int[8];
    private int[] slotSeqIndex = new int[8];
    private long[] slotMaxSeq = new long[8];
    private int slotHigh;
    private int[] slotFree = new int[8];
    private int slotFreeCount;
    private int slotsInUse;
    private long fineDirtyBlocks;

    // Per-block seq arrays of the fine slots that are not compact.
    private long[] seqPool;
    private int[] seqArraySlot = new int[8];
    private int seqHigh;
    private int[] seqFree = new int[8];
    private int seqFreeCount;
    private int seqArraysInUse;

    // The current pass of nextBatch: packed (rank << 32 | granule), sorted.
    private long[] passList = new long[64];
    private int passLength;
    private int passPos;
    private long passResume;
    private RegionOrder passOrder;

    // Emission state of one nextBatch / forEachDirty call.
    private DirtyRangeConsumer out;
    private long budget;
    private long handed;
    private long pendingStart = -1;
    private long pendingEnd = -1;

    private long lastSeq = Long.MIN_VALUE;
    private boolean closed;

    public TrackingMap()
    {
        this(new Context());
    }

    public TrackingMap(final Context context)
    {
        context.conclude();
        this.granuleBytes = context.granuleBytes;
        this.granuleShift = Long.numberOfTrailingZeros(granuleBytes);
        this.blocksPerGranule = (int)(granuleBytes >>> BLOCK_SHIFT);
        this.wordsPerGranule = (blocksPerGranule + 63) >>> 6;
        this.promoteAfterWrites = context.promoteAfterWrites;
        this.coarseSpans = context.coarseSpans;
        this.demoteMaxRuns = context.demoteMaxRuns;
        this.maxSeqArrays = context.maxSeqArrays;
        this.nanoClock = context.nanoClock;
        // One off-heap page store for both trees: one slab reservation instead of two.
        this.pages = new MemoryPageStore();
        this.coarse = new ExtentMap(BTree.create(pages, 2));
        this.hot = new ExtentMap(BTree.create(pages, 2));
        this.slotBits = new long[8 * wordsPerGranule];
        this.seqPool = new long[8 * blocksPerGranule];
        Arrays.fill(recGranule, -1);
    }

    public long granuleBytes()
    {
        return granuleBytes;
    }

    /** The highest sequence number marked so far ({@code Long.MIN_VALUE} before the first mark). */
    public long lastSeq()
    {
        return lastSeq;
    }

    /** Records a completed write at the clock's current time. */
    public void mark(final long offsetBytes, final long lengthBytes, final long seq)
    {
        mark(offsetBytes, lengthBytes, seq, nanoClock.nanoTime());
    }

    /**
     * Records a completed write {@code [offsetBytes, offsetBytes + lengthBytes)} with its sequence
     * number, which must be greater than every earlier one.
     */
    public void mark(final long offsetBytes, final long lengthBytes, final long seq, final long nowNanos)
    {
        if (offsetBytes < 0 || lengthBytes < 0)
        {
            throw new IllegalArgumentException("bad write: offset " + offsetBytes + ", length " + lengthBytes);
        }
        if (seq <= lastSeq)
        {
            throw new IllegalArgumentException("sequence numbers must increase: " + seq + " after " + lastSeq);
        }
        lastSeq = seq;
        if (lengthBytes == 0)
        {
            return;
        }
        final long first = offsetBytes & ~BLOCK_MASK;
        final long end = (offsetBytes + lengthBytes + BLOCK_MASK) & ~BLOCK_MASK;
        final int shift = granuleShift;
        final boolean createRecords = promoteAfterWrites > 0 || hot.totalBytes() > 0;
        final long lastGranule = (end - 1) >>> shift;
        for (long g = first >>> shift; g <= lastGranule; g++)
        {
            final long gStart = g << shift;
            final long gEnd = gStart + granuleBytes;
            final long a = Math.max(first, gStart);
            final long b = Math.min(end, gEnd);
            boolean scanned = false;
            int rec = -1;
            if (createRecords)
            {
                rec = obtainRecord(g);
            }
            else if (liveRecords > 0)
            {
                rec = (int)recordOfGranule.get(g);
            }
            if (rec >= 0)
            {
                recLastWriteNanos[rec] = nowNanos;
                if (!recFine[rec])
                {
                    boolean promoteNow = isPinned(gStart, gEnd);
                    if (!promoteNow && promoteAfterWrites > 0)
                    {
                        // In span mode a write that extends or lies inside the dirty span costs no
                        // precision; only writes that open a gap count towards promotion.
                        boolean counts = true;
                        if (coarseSpans)
                        {
                            scanPieces(gStart, gEnd);
                            scanned = true;
                            counts = pieces.count > 0 && (b < pieces.from || a > pieces.to);
                        }
                        if (counts && ++recWrites[rec] >= promoteAfterWrites)
                        {
                            promoteNow = true;
                        }
                    }
                    if (promoteNow)
                    {
                        promote(rec, gStart, gEnd);
                    }
                }
                if (recFine[rec])
                {
                    final int slot = obtainSlot(rec);
                    setBlocks(slot, (int)((a - gStart) >>> BLOCK_SHIFT), (int)((b - gStart) >>> BLOCK_SHIFT), seq);
                    continue;
                }
            }
            if (coarseSpans && !scanned)
            {
                scanPieces(gStart, gEnd);
            }
            markCoarse(gStart, gEnd, a, b, seq);
        }
    }

    /** Fills {@link #pieces} with the coarse extents inside the granule (one cursor scan). */
    private void scanPieces(final long gStart, final long gEnd)
    {
        pieces.reset();
        if (coarse.totalBytes() > 0)
        {
            coarse.forEachIntersecting(gStart, gEnd, pieces);
        }
    }

    /**
     * Clears {@code [startBytes, endBytes)} (rounded inwards to 4 KiB blocks) after a copy whose read
     * began at {@code readStartSeq}: blocks last dirtied at or after that seq stay dirty.
     */
    public void clear(final long startBytes, final long endBytes, final long readStartSeq)
    {
        if (startBytes < 0 || endBytes < startBytes)
        {
            throw new IllegalArgumentException("bad range [" + startBytes + ", " + endBytes + ")");
        }
        final long a = (startBytes + BLOCK_MASK) & ~BLOCK_MASK;
        final long b = endBytes & ~BLOCK_MASK;
        if (a >= b)
        {
            return;
        }
        final ExtentMap coarse = this.coarse;
        final long[] probe = this.probe;
        if (coarse.totalBytes() > 0)
        {
            long pos = a;
            while (pos < b && coarse.firstEndingAfter(pos, probe) && probe[0] < b)
            {
                final long next = probe[1];
                if (probe[2] < readStartSeq)
                {
                    coarse.remove(Math.max(probe[0], pos), Math.min(next, b));
                }
                pos = next;
            }
        }
        if (slotsInUse > 0)
        {
            final int shift = granuleShift;
            final long firstGranule = a >>> shift;
            final long lastGranule = (b - 1) >>> shift;
            if (lastGranule - firstGranule < slotsInUse)
            {
                for (long g = firstGranule; g <= lastGranule; g++)
                {
                    final int rec = (int)recordOfGranule.get(g);
                    if (rec >= 0 && recSlot[rec] >= 0)
                    {
                        clearFine(rec, g << shift, a, b, readStartSeq);
                    }
                }
            }
            else
            {
                for (int slot = 0; slot < slotHigh; slot++)
                {
                    final int rec = slotOwner[slot];
                    if (rec >= 0)
                    {
                        final long g = recGranule[rec];
                        if (g >= firstGranule && g <= lastGranule)
                        {
                            clearFine(rec, g << shift, a, b, readStartSeq);
                        }
                    }
                }
            }
        }
    }

    /**
     * Pins {@code [startBytes, endBytes)} as hot: granules overlapping it get a fine bitmap on their next
     * write and keep it through {@link #settle}.
     */
    public void markHot(final long startBytes, final long endBytes)
    {
        hot.insert(startBytes, endBytes, 1);
    }

    /** Unpins a range pinned by {@link #markHot}; its granules settle like any other from now on. */
    public void unmarkHot(final long startBytes, final long endBytes)
    {
        hot.remove(startBytes, endBytes);
    }

    /**
     * Settles granules that saw no write for {@code idleNanos}: a fine granule drops its per-block seqs
     * (they only matter while a copy may race a write; one maximum seq is enough for a quiet granule)
     * and, unless pinned by {@link #markHot}, becomes coarse extents (one per dirty run, with the run's
     * highest seq) when it has at most {@code demoteMaxRuns} dirty runs; otherwise it keeps its compact
     * bitmap until it is clean. Quiet coarse granules and clean fine ones forget their write counts and
     * their promotion (pinned ones are promoted again by their pin on their next write). Returns the
     * number of fine granules demoted or compacted.
     */
    public int settle(final long idleNanos, final long nowNanos)
    {
        int settled = 0;
        final int shift = granuleShift;
        for (int rec = 0; rec < recHigh; rec++)
        {
            final long g = recGranule[rec];
            if (g < 0 || nowNanos - recLastWriteNanos[rec] < idleNanos)
            {
                continue;
            }
            final int slot = recSlot[rec];
            if (slot < 0)
            {
                freeRecord(rec);
                continue;
            }
            final long gStart = g << shift;
            if (!isPinned(gStart, gStart + granuleBytes) && runs(slot) <= demoteMaxRuns)
            {
                demote(rec, gStart);
                freeRecord(rec);
                settled++;
            }
            else if (slotSeqIndex[slot] >= 0)
            {
                compact(slot);
                settled++;
            }
        }
        if (recordOfGranule.size() < recordOfGranule.capacity() / 8)
        {
            recordOfGranule.compact();
        }
        return settled;
    }

    /**
     * Hands out dirty ranges, at most {@code maxBytes} in total, in the order's rank order (ties by
     * address), continuing where the previous call stopped; ranges stay dirty until cleared. Fine
     * granules give their dirty 4 KiB runs, coarse ones their extents; touching ranges are joined. A
     * pass over everything that was dirty when the pass began ends a call early; the next call starts a
     * new pass. Returns the bytes handed out, 0 when nothing is dirty. Pass the same {@code order}
     * instance on every call: another instance starts a new pass (ranks are read when a pass starts).
     */
    public long nextBatch(final RegionOrder order, final long maxBytes, final DirtyRangeConsumer consumer)
    {
        if (maxBytes < BLOCK_BYTES)
        {
            throw new IllegalArgumentException("maxBytes must be at least " + BLOCK_BYTES + ": " + maxBytes);
        }
        out = consumer;
        budget = maxBytes;
        handed = 0;
        pendingStart = -1;
        boolean rebuilt = false;
        if (order != passOrder || passPos >= passLength)
        {
            rebuildPass(order);
            rebuilt = true;
        }
        while (true)
        {
            boolean exhausted = false;
            while (passPos < passLength)
            {
                if (!handOutGranule(passList[passPos] & 0xFFFF_FFFFL))
                {
                    exhausted = true;
                    break;
                }
                passPos++;
                passResume = 0;
            }
            if (!exhausted && handed == 0 && !rebuilt)
            {
                rebuildPass(order);
                rebuilt = true;
                continue;
            }
            break;
        }
        flushPending();
        out = null;
        return handed;
    }

    /**
     * Hands every dirty range to the consumer in address order, touching ranges joined, without
     * affecting {@link #nextBatch}'s position. Returns the bytes handed out (= {@link #dirtyBytes()}).
     */
    public long forEachDirty(final DirtyRangeConsumer consumer)
    {
        // Sorted fine granules, merged with the coarse extents (which never lie inside a fine granule).
        int fineCount = 0;
        for (int slot = 0; slot < slotHigh; slot++)
        {
            if (slotOwner[slot] >= 0)
            {
                fineCount = appendPass(fineCount, recGranule[slotOwner[slot]]);
            }
        }
        Arrays.sort(passList, passLength, passLength + fineCount);
        final int fineFrom = passLength;
        final int fineTo = passLength + fineCount;

        out = consumer;
        budget = Long.MAX_VALUE;
        handed = 0;
        pendingStart = -1;
        final long[] probe = this.probe;
        final int shift = granuleShift;
        int i = fineFrom;
        long pos = 0;
        boolean haveCoarse = coarse.firstEndingAfter(pos, probe);
        while (haveCoarse || i < fineTo)
        {
            final long fineStart = i < fineTo ? passList[i] << shift : Long.MAX_VALUE;
            if (haveCoarse && probe[0] < fineStart)
            {
                push(probe[0], probe[1]);
                pos = probe[1];
                haveCoarse = coarse.firstEndingAfter(pos, probe);
            }
            else
            {
                final int rec = (int)recordOfGranule.get(passList[i]);
                handOutFine(recSlot[rec], fineStart, fineStart);
                i++;
            }
        }
        flushPending();
        out = null;
        return handed;
    }

    /** Bytes currently dirty (coarse extents plus dirty fine blocks). */
    public long dirtyBytes()
    {
        return coarse.totalBytes() + (fineDirtyBlocks << BLOCK_SHIFT);
    }

    /** Granules that currently hold a fine bitmap. */
    public int fineGranules()
    {
        return slotsInUse;
    }

    /** Number of coarse extents. */
    public long coarseExtents()
    {
        return coarse.extentCount();
    }

    /** Fine granules whose per-block seqs were dropped by {@link #settle} (bitmap and one max seq). */
    public int compactGranules()
    {
        return slotsInUse - seqArraysInUse;
    }

    /** Bytes of a compact fine slot: bitmap, max seq, owner, dirty count, seq array index. */
    public long compactSlotBytes()
    {
        return (long)wordsPerGranule * 8 + 8 + 12;
    }

    /** Bytes of a full fine slot: a compact slot plus its per-block seqs. */
    public long fineSlotBytes()
    {
        return compactSlotBytes() + (long)blocksPerGranule * 8;
    }

    /**
     * What the tracking costs now: the pages of the coarse and hot extent trees (4 KiB each), the fine
     * slots in use (compact ones without their seq arrays), the live granule records and the granule
     * index. Free slots and records kept for reuse are not counted
     * (see {@link #reservedBytes()}).
     */
    public long metadataBytes()
    {
        return coarse.bytesInUse() + hot.bytesInUse() + slotsInUse * compactSlotBytes() +
            seqArraysInUse * (long)blocksPerGranule * 8 + (long)liveRecords * RECORD_BYTES + recordOfGranule.capacity() * 16L;
    }

    /** Bytes held including arrays kept for reuse (high-water mark of the growable parts). */
    public long reservedBytes()
    {
        return pages.reservedBytes() + slotBits.length * 8L + seqPool.length * 8L +
            slotOwner.length * 20L + recGranule.length * (long)(RECORD_BYTES + 4) + recordOfGranule.capacity() * 16L +
            passList.length * 8L;
    }

    /** Idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            coarse.close();
            hot.close();
            pages.close();
        }
    }

    // ---------------------------------------------------------------------------------------------

    private boolean isPinned(final long gStart, final long gEnd)
    {
        if (hot.totalBytes() == 0)
        {
            return false;
        }
        final long next = hot.nextCovered(gStart);
        return next != ExtentMap.NONE && next < gEnd;
    }

    /** Records a write into a coarse granule; in span mode {@link #pieces} holds the granule's extents. */
    private void markCoarse(final long gStart, final long gEnd, final long a, final long b, final long seq)
    {
        if (!coarseSpans)
        {
            coarse.insert(gStart, gEnd, seq);
            return;
        }
        final GranulePieces pieces = this.pieces;
        if (pieces.count == 0)
        {
            coarse.insert(a, b, seq);
            return;
        }
        if (b < pieces.from || a > pieces.to)
        {
            // A gap would open (promotion did not take this granule): one span at the new seq.
            coarse.insert(Math.min(a, pieces.from), Math.max(b, pieces.to), seq);
            return;
        }
        // The older pieces become one extent at their highest seq, the new write keeps its own seq,
        // so a copy of the older bytes that raced this write can still clear them.
        if (pieces.count > 1)
        {
            coarse.insert(pieces.from, pieces.to, pieces.maxSeq);
        }
        coarse.insert(a, b, seq);
    }

    private void promote(final int rec, final long gStart, final long gEnd)
    {
        recFine[rec] = true;
        final long[] probe = this.probe;
        long pos = gStart;
        boolean moved = false;
        while (coarse.firstEndingAfter(pos, probe) && probe[0] < gEnd)
        {
            final long s = Math.max(probe[0], gStart);
            final long e = Math.min(probe[1], gEnd);
            final long seq = probe[2];
            pos = probe[1];
            final int slot = obtainSlot(rec);
            setBlocks(slot, (int)((s - gStart) >>> BLOCK_SHIFT), (int)((e - gStart + BLOCK_MASK) >>> BLOCK_SHIFT), seq);
            moved = true;
        }
        if (moved)
        {
            coarse.remove(gStart, gEnd);
        }
    }

    private void demote(final int rec, final long gStart)
    {
        final int slot = recSlot[rec];
        final long[] bits = slotBits;
        final long[] seqs = seqPool;
        final int bitBase = slot * wordsPerGranule;
        final int seqIndex = slotSeqIndex[slot];
        final int seqBase = seqIndex * blocksPerGranule;
        int i = nextSetBit(bits, bitBase, 0);
        while (i >= 0)
        {
            final int j = nextClearBit(bits, bitBase, i);
            long maxSeq = slotMaxSeq[slot];
            if (seqIndex >= 0)
            {
                maxSeq = Long.MIN_VALUE;
                for (int k = i; k < j; k++)
                {
                    maxSeq = Math.max(maxSeq, seqs[seqBase + k]);
                }
            }
            coarse.insert(gStart + ((long)i << BLOCK_SHIFT), gStart + ((long)j << BLOCK_SHIFT), maxSeq);
            i = j < blocksPerGranule ? nextSetBit(bits, bitBase, j) : -1;
        }
        fineDirtyBlocks -= slotDirty[slot];
        freeSlot(rec);
    }

    /** Dirty runs in a slot's bitmap. */
    private int runs(final int slot)
    {
        final long[] bits = slotBits;
        final int bitBase = slot * wordsPerGranule;
        int runs = 0;
        long carry = 0; // the last bit of the previous word
        for (int w = 0; w < wordsPerGranule; w++)
        {
            final long word = bits[bitBase + w];
            // A run starts at each set bit whose lower neighbour is clear.
            runs += Long.bitCount(word & ~((word << 1) | carry));
            carry = word >>> 63;
        }
        return runs;
    }

    /** Drops a slot's per-block seqs, keeping the highest seq of its dirty blocks. */
    private void compact(final int slot)
    {
        final int seqIndex = slotSeqIndex[slot];
        final long[] bits = slotBits;
        final int bitBase = slot * wordsPerGranule;
        final int seqBase = seqIndex * blocksPerGranule;
        long maxSeq = Long.MIN_VALUE;
        int i = nextSetBit(bits, bitBase, 0);
        while (i >= 0)
        {
            maxSeq = Math.max(maxSeq, seqPool[seqBase + i]);
            i = i + 1 < blocksPerGranule ? nextSetBit(bits, bitBase, i + 1) : -1;
        }
        slotMaxSeq[slot] = maxSeq;
        releaseSeqArray(slot);
    }

    /** Gives a compact slot per-block seqs again, each dirty block at the slot's max seq. */
    private int expand(final int slot)
    {
        if (seqArraysInUse >= maxSeqArrays)
        {
            compactLeastRecentlyWritten(slot);
        }
        final int seqIndex;
        if (seqFreeCount > 0)
        {
            seqIndex = seqFree[--seqFreeCount];
        }
        else
        {
            if ((seqHigh + 1) * blocksPerGranule > seqPool.length)
            {
                seqPool = Arrays.copyOf(seqPool, seqPool.length * 2);
            }
            if (seqHigh == seqArraySlot.length)
            {
                seqArraySlot = Arrays.copyOf(seqArraySlot, seqArraySlot.length * 2);
            }
            seqIndex = seqHigh++;
        }
        final int seqBase = seqIndex * blocksPerGranule;
        Arrays.fill(seqPool, seqBase, seqBase + blocksPerGranule, slotMaxSeq[slot]);
        slotSeqIndex[slot] = seqIndex;
        seqArraySlot[seqIndex] = slot;
        seqArraysInUse++;
        return seqIndex;
    }

    /**
     * Compacts the full slot (other than {@code except}) whose granule was written longest ago; scans
     * the seq arrays in use, at most {@code maxSeqArrays}.
     */
    private void compactLeastRecentlyWritten(final int except)
    {
        int victim = -1;
        long oldest = Long.MAX_VALUE;
        for (int seqIndex = 0; seqIndex < seqHigh; seqIndex++)
        {
            final int slot = seqArraySlot[seqIndex];
            if (slot >= 0 && slot != except && recLastWriteNanos[slotOwner[slot]] < oldest)
            {
                oldest = recLastWriteNanos[slotOwner[slot]];
                victim = slot;
            }
        }
        if (victim >= 0)
        {
            compact(victim);
        }
    }

    private void releaseSeqArray(final int slot)
    {
        final int seqIndex = slotSeqIndex[slot];
        if (seqIndex < 0)
        {
            return;
        }
        slotSeqIndex[slot] = -1;
        seqArraySlot[seqIndex] = -1;
        if (seqFreeCount == seqFree.length)
        {
            seqFree = Arrays.copyOf(seqFree, seqFree.length * 2);
        }
        seqFree[seqFreeCount++] = seqIndex;
        seqArraysInUse--;
    }

    private void setBlocks(final int slot, final int from, final int to, final long seq)
    {
        int seqIndex = slotSeqIndex[slot];
        if (seqIndex < 0)
        {
            seqIndex = expand(slot);
        }
        if (seq > slotMaxSeq[slot])
        {
            slotMaxSeq[slot] = seq;
        }
        final long[] bits = slotBits;
        final long[] seqs = seqPool;
        final int bitBase = slot * wordsPerGranule;
        final int seqBase = seqIndex * blocksPerGranule;
        int added = 0;
        for (int i = from; i < to; i++)
        {
            final int w = bitBase + (i >>> 6);
            final long mask = 1L << i;
            if ((bits[w] & mask) == 0)
            {
                bits[w] |= mask;
                added++;
            }
            seqs[seqBase + i] = seq;
        }
        slotDirty[slot] += added;
        fineDirtyBlocks += added;
    }

    private void clearFine(final int rec, final long gStart, final long a, final long b, final long readStartSeq)
    {
        final int slot = recSlot[rec];
        final long gEnd = gStart + granuleBytes;
        final int from = (int)((Math.max(a, gStart) - gStart) >>> BLOCK_SHIFT);
        final int to = (int)((Math.min(b, gEnd) - gStart) >>> BLOCK_SHIFT);
        final long[] bits = slotBits;
        final int bitBase = slot * wordsPerGranule;
        final int seqIndex = slotSeqIndex[slot];
        int removed = 0;
        if (seqIndex < 0)
        {
            // Compact: one max seq for all dirty blocks, so the range clears whole words at a time.
            if (slotMaxSeq[slot] < readStartSeq)
            {
                for (int w = from >>> 6, last = (to - 1) >>> 6; w <= last; w++)
                {
                    long mask = -1L;
                    if (w == from >>> 6)
                    {
                        mask &= -1L << from;
                    }
                    if (w == last && (to & 63) != 0)
                    {
                        mask &= -1L >>> (64 - (to & 63));
                    }
                    removed += Long.bitCount(bits[bitBase + w] & mask);
                    bits[bitBase + w] &= ~mask;
                }
            }
            finishClear(rec, slot, removed);
            return;
        }
        final long[] seqs = seqPool;
        final int seqBase = seqIndex * blocksPerGranule;
        int i = from;
        while (i < to)
        {
            final int w = bitBase + (i >>> 6);
            if (bits[w] == 0)
            {
                i = (i | 63) + 1; // skip a clean word
                continue;
            }
            final long mask = 1L << i;
            if ((bits[w] & mask) != 0 && seqs[seqBase + i] < readStartSeq)
            {
                bits[w] &= ~mask;
                removed++;
            }
            i++;
        }
        finishClear(rec, slot, removed);
    }

    private void finishClear(final int rec, final int slot, final int removed)
    {
        if (removed > 0)
        {
            slotDirty[slot] -= removed;
            fineDirtyBlocks -= removed;
            if (slotDirty[slot] == 0)
            {
                freeSlot(rec);
            }
        }
    }

    private boolean handOutGranule(final long g)
    {
        final long gStart = g << granuleShift;
        final long gEnd = gStart + granuleBytes;
        final long from = Math.max(gStart, passResume);
        if (liveRecords > 0)
        {
            final int rec = (int)recordOfGranule.get(g);
            if (rec >= 0 && recSlot[rec] >= 0)
            {
                return handOutFine(recSlot[rec], gStart, from);
            }
        }
        if (coarse.totalBytes() == 0)
        {
            return true;
        }
        final long[] probe = this.probe;
        long pos = from;
        while (pos < gEnd && coarse.firstEndingAfter(pos, probe) && probe[0] < gEnd)
        {
            final long e = Math.min(probe[1], gEnd);
            if (!emit(Math.max(probe[0], pos), e))
            {
                return false;
            }
            pos = e;
        }
        return true;
    }

    private boolean handOutFine(final int slot, final long gStart, final long from)
    {
        final long[] bits = slotBits;
        final int bitBase = slot * wordsPerGranule;
        int i = nextSetBit(bits, bitBase, (int)((from - gStart) >>> BLOCK_SHIFT));
        while (i >= 0)
        {
            final int j = nextClearBit(bits, bitBase, i);
            if (!emit(gStart + ((long)i << BLOCK_SHIFT), gStart + ((long)j << BLOCK_SHIFT)))
            {
                return false;
            }
            i = j < blocksPerGranule ? nextSetBit(bits, bitBase, j) : -1;
        }
        return true;
    }

    private boolean emit(final long start, final long end)
    {
        final long length = end - start;
        if (length > budget)
        {
            final long fit = budget & ~BLOCK_MASK;
            if (fit > 0)
            {
                push(start, start + fit);
            }
            passResume = start + fit;
            return false;
        }
        push(start, end);
        return true;
    }

    private void push(final long start, final long end)
    {
        budget -= end - start;
        handed += end - start;
        if (pendingStart >= 0 && pendingEnd == start)
        {
            pendingEnd = end;
            return;
        }
        flushPending();
        pendingStart = start;
        pendingEnd = end;
    }

    private void flushPending()
    {
        if (pendingStart >= 0)
        {
            final long s = pendingStart;
            pendingStart = -1;
            out.accept(s, pendingEnd);
        }
    }

    private void rebuildPass(final RegionOrder order)
    {
        passOrder = order;
        passPos = 0;
        passResume = 0;
        int n = 0;
        passLength = 0;
        final int shift = granuleShift;
        final long[] probe = this.probe;
        long pos = 0;
        long lastAdded = -1;
        while (coarse.firstEndingAfter(pos, probe))
        {
            final long last = (probe[1] - 1) >>> shift;
            for (long g = Math.max(probe[0] >>> shift, lastAdded + 1); g <= last; g++)
            {
                n = appendPass(n, g);
                lastAdded = g;
            }
            pos = probe[1];
        }
        for (int slot = 0; slot < slotHigh; slot++)
        {
            if (slotOwner[slot] >= 0)
            {
                n = appendPass(n, recGranule[slotOwner[slot]]);
            }
        }
        final long[] list = passList;
        for (int i = 0; i < n; i++)
        {
            final long g = list[i];
            final int rank = order.rank(g);
            if (rank < 0 || g > 0xFFFF_FFFFL)
            {
                throw new IllegalArgumentException("rank " + rank + " of granule " + g + " is out of range");
            }
            list[i] = ((long)rank << 32) | g;
        }
        Arrays.sort(list, 0, n);
        passLength = n;
    }

    /** Appends a granule after the current pass list (index passLength + n), growing it as needed. */
    private int appendPass(final int n, final long g)
    {
        final int index = passLength + n;
        if (index == passList.length)
        {
            passList = Arrays.copyOf(passList, passList.length * 2);
        }
        passList[index] = g;
        return n + 1;
    }

    private int obtainRecord(final long g)
    {
        final long existing = recordOfGranule.get(g);
        if (existing != MISSING)
        {
            return (int)existing;
        }
        final int rec;
        if (recFreeCount > 0)
        {
            rec = recFree[--recFreeCount];
        }
        else
        {
            if (recHigh == recGranule.length)
            {
                growRecords();
            }
            rec = recHigh++;
        }
        recGranule[rec] = g;
        recWrites[rec] = 0;
        recLastWriteNanos[rec] = 0;
        recSlot[rec] = -1;
        recFine[rec] = false;
        recordOfGranule.put(g, rec);
        liveRecords++;
        return rec;
    }

    private void freeRecord(final int rec)
    {
        recordOfGranule.remove(recGranule[rec]);
        recGranule[rec] = -1;
        recFine[rec] = false;
        if (recFreeCount == recFree.length)
        {
            recFree = Arrays.copyOf(recFree, recFree.length * 2);
        }
        recFree[recFreeCount++] = rec;
        liveRecords--;
    }

    private void growRecords()
    {
        final int n = recGranule.length * 2;
        final int old = recGranule.length;
        recGranule = Arrays.copyOf(recGranule, n);
        Arrays.fill(recGranule, old, n, -1);
        recWrites = Arrays.copyOf(recWrites, n);
        recLastWriteNanos = Arrays.copyOf(recLastWriteNanos, n);
        recSlot = Arrays.copyOf(recSlot, n);
        recFine = Arrays.copyOf(recFine, n);
    }

    private int obtainSlot(final int rec)
    {
        final int existing = recSlot[rec];
        if (existing >= 0)
        {
            return existing;
        }
        final int slot;
        if (slotFreeCount > 0)
        {
            slot = slotFree[--slotFreeCount];
        }
        else
        {
            if (slotHigh == slotOwner.length)
            {
                final int n = slotOwner.length * 2;
                slotOwner = Arrays.copyOf(slotOwner, n);
                slotDirty = Arrays.copyOf(slotDirty, n);
                slotSeqIndex = Arrays.copyOf(slotSeqIndex, n);
                slotMaxSeq = Arrays.copyOf(slotMaxSeq, n);
                slotBits = Arrays.copyOf(slotBits, n * wordsPerGranule);
            }
            slot = slotHigh++;
        }
        slotOwner[slot] = rec;
        slotDirty[slot] = 0;
        slotSeqIndex[slot] = -1;
        slotMaxSeq[slot] = Long.MIN_VALUE;
        Arrays.fill(slotBits, slot * wordsPerGranule, (slot + 1) * wordsPerGranule, 0L);
        recSlot[rec] = slot;
        slotsInUse++;
        return slot;
    }

    private void freeSlot(final int rec)
    {
        final int slot = recSlot[rec];
        releaseSeqArray(slot);
        recSlot[rec] = -1;
        slotOwner[slot] = -1;
        slotDirty[slot] = 0;
        if (slotFreeCount == slotFree.length)
        {
            slotFree = Arrays.copyOf(slotFree, slotFree.length * 2);
        }
        slotFree[slotFreeCount++] = slot;
        slotsInUse--;
    }

    /** Index of the first set bit at or after {@code from} within a slot's bitmap, or -1. */
    private int nextSetBit(final long[] bits, final int bitBase, final int from)
    {
        if (from >= blocksPerGranule)
        {
            return -1;
        }
        int w = from >>> 6;
        long word = bits[bitBase + w] & (-1L << from);
        while (true)
        {
            if (word != 0)
            {
                final int i = (w << 6) + Long.numberOfTrailingZeros(word);
                return i < blocksPerGranule ? i : -1;
            }
            if (++w == wordsPerGranule)
            {
                return -1;
            }
            word = bits[bitBase + w];
        }
    }

    /** Index of the first clear bit at or after {@code from}, or blocksPerGranule. */
    private int nextClearBit(final long[] bits, final int bitBase, final int from)
    {
        int w = from >>> 6;
        long word = ~bits[bitBase + w] & (-1L << from);
        while (true)
        {
            if (word != 0)
            {
                return Math.min(blocksPerGranule, (w << 6) + Long.numberOfTrailingZeros(word));
            }
            if (++w == wordsPerGranule)
            {
                return blocksPerGranule;
            }
            word = ~bits[bitBase + w];
        }
    }

    /** Bounding span, highest seq and count of the coarse extents inside one granule. */
    private static final class GranulePieces implements ExtentConsumer
    {
        long from;
        long to;
        long maxSeq;
        int count;

        void reset()
        {
            from = Long.MAX_VALUE;
            to = Long.MIN_VALUE;
            maxSeq = Long.MIN_VALUE;
            count = 0;
        }

        @Override
        public void accept(final long startBytes, final long endBytes, final long payload)
        {
            from = Math.min(from, startBytes);
            to = Math.max(to, endBytes);
            maxSeq = Math.max(maxSeq, payload);
            count++;
        }
    }
}
