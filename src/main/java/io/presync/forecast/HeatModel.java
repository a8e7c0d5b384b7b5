package io.presync.forecast;

/**
 * Write heat per coarse region of a device: an exponentially decayed count of the writes that touched
 * each region, the top-K hot set, a cold-first order for the copy, and per region the probability of
 * being written again within a horizon.
 *
 * <h2>Heat</h2>
 * Region {@code r} covers bytes {@code [r * regionBytes, (r + 1) * regionBytes)}. Each write adds
 * {@code 1} to every region it touches, decayed with half-life {@code H}:
 * <pre>
 *   heat_r(t) = Σ over writes k touching r at time t_k:  2^(-(t - t_k) / H)
 * </pre>
 * The sum is kept per region as a value at the region's last update time and decayed lazily when the
 * region is touched or read, so a write costs O(1) per region and no memory beyond two primitive
 * arrays. A write older than the region's last update (events slightly out of order) is decayed into
 * the stored value instead, so the result does not depend on the order of the events.
 *
 * <h2>Probability of a write within a horizon</h2>
 * Model the writes to a region as a Poisson process of constant rate {@code λ} (writes per nanosecond).
 * Its expected decayed count is {@code λ ∫₀^∞ 2^(-s/H) ds = λ H / ln 2}, so the decayed count gives the
 * estimate {@code λ = heat · ln 2 / H}, and the probability of at least one write within a horizon
 * {@code T} is {@code P = 1 − exp(−λ T)}: in [0, 1), growing with the horizon and with the heat, zero for
 * a region never written. The constant-rate assumption is the weak point: bursts make a region look
 * hotter than its long-run rate for about one half-life, which is what a copy scheduler wants anyway
 * (copy it last).
 *
 * <h2>Time and threads</h2>
 * Times are caller-supplied nanoseconds from any fixed origin (tests inject them, the agent passes
 * {@code System.nanoTime()} or event timestamps). Not thread-safe: one writer, readers on the same
 * thread (the duty cycle that consumes write events). Nothing allocates after construction.
 */
public final class HeatModel
{
    private static final double LN2 = Math.log(2.0);

    private final long deviceBytes;
    private final long regionBytes;
    private final int regionCount;
    private final long halfLifeNanos;
    private final double decayPerNano;      // ln 2 / H, so decay over dt is exp(-dt * decayPerNano)
    private final double[] heatAtUpdate;
    private final long[] lastUpdateNanos;
    private final double[] scratchHeat;     // current heat of every region, filled by the ranking methods

    /**
     * @param deviceBytes   size of the device; regions cover it, the last one possibly partly.
     * @param regionBytes   size of a region, > 0.
     * @param halfLifeNanos after this long without writes a region's heat halves, > 0.
     */
    public HeatModel(final long deviceBytes, final long regionBytes, final long halfLifeNanos)
    {
        if (regionBytes <= 0)
        {
            throw new IllegalArgumentException("regionBytes must be positive, was " + regionBytes);
        }
        if (halfLifeNanos <= 0)
        {
            throw new IllegalArgumentException("halfLifeNanos must be positive, was " + halfLifeNanos);
        }
        if (deviceBytes <= 0)
        {
            throw new IllegalArgumentException("deviceBytes must be positive, was " + deviceBytes);
        }
        final long regions = (deviceBytes - 1) / regionBytes + 1;
        if (regions > Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException(
                "too many regions (" + regions + "): use a region size of at least " + (deviceBytes / (Integer.MAX_VALUE - 8) + 1) + " bytes");
        }
        this.deviceBytes = deviceBytes;
        this.regionBytes = regionBytes;
        this.regionCount = (int)regions;
        this.halfLifeNanos = halfLifeNanos;
        this.decayPerNano = LN2 / halfLifeNanos;
        this.heatAtUpdate = new double[regionCount];
        this.lastUpdateNanos = new long[regionCount];
        this.scratchHeat = new double[regionCount];
    }

    public long deviceBytes()
    {
        return deviceBytes;
    }

    public long regionBytes()
    {
        return regionBytes;
    }

    public int regionCount()
    {
        return regionCount;
    }

    public long halfLifeNanos()
    {
        return halfLifeNanos;
    }

    /** The region holding a byte offset. */
    public int regionOf(final long offsetBytes)
    {
        return (int)(offsetBytes / regionBytes);
    }

    /**
     * Records one write of {@code lengthBytes} at {@code offsetBytes}: every region it touches gains one
     * write. Parts beyond the device are ignored.
     */
    public void recordWrite(final long offsetBytes, final long lengthBytes, final long timeNanos)
    {
        if (lengthBytes <= 0 || offsetBytes < 0 || offsetBytes >= deviceBytes)
        {
            return;
        }
        final int first = regionOf(offsetBytes);
        final long endBytes = offsetBytes + Math.min(lengthBytes, deviceBytes - offsetBytes);
        final int last = (int)((endBytes - 1) / regionBytes);
        for (int r = first; r <= last; r++)
        {
            recordRegionWrite(r, 1.0, timeNanos);
        }
    }

    /** Adds {@code weight} writes to one region at {@code timeNanos}. */
    public void recordRegionWrite(final int region, final double weight, final long timeNanos)
    {
        final long last = lastUpdateNanos[region];
        final double stored = heatAtUpdate[region];
        if (timeNanos >= last || stored == 0.0)
        {
            heatAtUpdate[region] = stored * decay(timeNanos - last) + weight;
            lastUpdateNanos[region] = timeNanos;
        }
        else
        {
            heatAtUpdate[region] = stored + weight * decay(last - timeNanos);
        }
    }

    /** Decayed write count of a region at {@code nowNanos} (≥ its last update for exact values). */
    public double heat(final int region, final long nowNanos)
    {
        final double stored = heatAtUpdate[region];
        if (stored == 0.0)
        {
            return 0.0;
        }
        final long dt = nowNanos - lastUpdateNanos[region];
        return dt <= 0 ? stored : stored * decay(dt);
    }

    /** Estimated write rate of a region in writes per second: {@code heat · ln 2 / H}. */
    public double writesPerSecond(final int region, final long nowNanos)
    {
        return heat(region, nowNanos) * decayPerNano * 1e9;
    }

    /**
     * Estimated probability that the region is written at least once within the next
     * {@code horizonNanos}: {@code 1 − exp(−λ · horizon)} with {@code λ = heat · ln 2 / H}.
     */
    public double probabilityWrittenWithin(final int region, final long horizonNanos, final long nowNanos)
    {
        return probabilityOf(heat(region, nowNanos), horizonNanos, halfLifeNanos);
    }

    /** The Poisson model of the class javadoc, exposed so callers can apply it to summed heats. */
    public static double probabilityOf(final double heat, final long horizonNanos, final long halfLifeNanos)
    {
        if (heat <= 0.0 || horizonNanos <= 0)
        {
            return 0.0;
        }
        final double lambdaTimesHorizon = heat * LN2 * ((double)horizonNanos / (double)halfLifeNanos);
        return -Math.expm1(-lambdaTimesHorizon);
    }

    /**
     * Writes the up to {@code k} hottest regions with a positive heat into {@code out}, hottest first (ties:
     * lower index first), and returns how many were written ({@code ≤ min(k, out.length)}). These are the
     * regions to hand to the tracking map's {@code markHot}. O(n log k), allocates nothing.
     */
    public int hottest(final int k, final long nowNanos, final int[] out)
    {
        final int limit = Math.min(k, out.length);
        if (limit <= 0)
        {
            return 0;
        }
        final double[] h = fillCurrentHeat(nowNanos);
        // out[0..size) is a binary min-heap by (heat, -index): its root is the weakest of the kept regions.
        int size = 0;
        for (int r = 0; r < regionCount; r++)
        {
            if (h[r] <= 0.0)
            {
                continue;
            }
            if (size < limit)
            {
                out[size] = r;
                siftUp(out, size, h);
                size++;
            }
            else if (hotter(r, out[0], h))
            {
                out[0] = r;
                siftDown(out, 0, size, h);
            }
        }
        // Heap sort in place: repeatedly move the weakest to the end, leaving hottest first.
        for (int end = size - 1; end > 0; end--)
        {
            final int top = out[0];
            out[0] = out[end];
            out[end] = top;
            siftDown(out, 0, end, h);
        }
        return size;
    }

    /**
     * Writes every region into {@code out} (length ≥ {@link #regionCount()}) coldest first (ties: lower
     * index first, so never-written regions go in address order), the order in which the copy should
     * visit them so that the hot ones, most likely to be dirtied again, are copied last.
     */
    public void coldFirst(final long nowNanos, final int[] out)
    {
        if (out.length < regionCount)
        {
            throw new IllegalArgumentException("out holds " + out.length + " regions, needs " + regionCount);
        }
        final double[] h = fillCurrentHeat(nowNanos);
        for (int r = 0; r < regionCount; r++)
        {
            out[r] = r;
        }
        // Heap sort with a max-heap by (heat, index) via later(): extracting the maximum to the end leaves ascending order.
        for (int i = regionCount / 2 - 1; i >= 0; i--)
        {
            siftDownMax(out, i, regionCount, h);
        }
        for (int end = regionCount - 1; end > 0; end--)
        {
            final int top = out[0];
            out[0] = out[end];
            out[end] = top;
            siftDownMax(out, 0, end, h);
        }
    }

    /** Forgets all heat. */
    public void clear()
    {
        java.util.Arrays.fill(heatAtUpdate, 0.0);
        java.util.Arrays.fill(lastUpdateNanos, 0L);
    }

    private double decay(final long dtNanos)
    {
        return Math.exp(-dtNanos * decayPerNano);
    }

    private double[] fillCurrentHeat(final long nowNanos)
    {
        final double[] h = scratchHeat;
        for (int r = 0; r < regionCount; r++)
        {
            h[r] = heat(r, nowNanos);
        }
        return h;
    }

    /** True when region a ranks hotter than region b: more heat, or equal heat and a lower index. */
    private static boolean hotter(final int a, final int b, final double[] h)
    {
        return h[a] > h[b] || (h[a] == h[b] && a < b);
    }

    /** True when region a comes after region b in the cold-first order: more heat, or equal heat and a higher index. */
    private static boolean later(final int a, final int b, final double[] h)
    {
        return h[a] > h[b] || (h[a] == h[b] && a > b);
    }

    private static void siftUp(final int[] heap, final int index, final double[] h)
    {
        int i = index;
        final int item = heap[i];
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            if (!hotter(heap[parent], item, h))
            {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = item;
    }

    /** Min-heap by rank: the least hot at the root. */
    private static void siftDown(final int[] heap, final int index, final int size, final double[] h)
    {
        int i = index;
        final int item = heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size)
            {
                break;
            }
            if (child + 1 < size && hotter(heap[child], heap[child + 1], h))
            {
                child++;
            }
            if (!hotter(item, heap[child], h))
            {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }

    /** Max-heap by cold-first order: the region to visit last at the root. */
    private static void siftDownMax(final int[] heap, final int index, final int size, final double[] h)
    {
        int i = index;
        final int item = heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size)
            {
                break;
            }
            if (child + 1 < size && later(heap[child + 1], heap[child], h))
            {
                child++;
            }
            if (!later(heap[child], item, h))
            {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = item;
    }
}
