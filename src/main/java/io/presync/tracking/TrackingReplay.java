package io.presync.tracking;


import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Replays the writes of a CloudPhysics CSV trace ({@code version,time,op,size,lbn}; op {@code 2a} =
 * write, lbn in 512-byte sectors, time in whole seconds) through several {@link TrackingMap}
 * configurations while a simulated transfer copies the address space, and prints one JSON object.
 *
 * <p>The simulation, identical for every tracker:
 * <ol>
 *   <li>Warm-up: the first {@code warmupSeconds} of the trace are history before the transfer starts
 *       (T0). They are not tracked; their per-granule write counts are the heat the transfer ranks
 *       regions by (cold first) and the hierarchical tracker pins its top-K regions with.</li>
 *   <li>Initial pass: a copy cursor moves over {@code [0, space)} in chunks at a fixed rate (chosen so
 *       the pass takes {@code passFraction} of the remaining trace). For each chunk it takes
 *       readStartSeq, lets the writes that arrive while the chunk is read land (marks with increasing
 *       seqs; writes inside one trace second are spread evenly over it) and then clears the chunk.</li>
 *   <li>Re-copy: {@code nextBatch} (heat order, at most one chunk) hands out dirty ranges, copied at
 *       the same rate with the same readStartSeq/clear rule while writes keep landing, until the trace
 *       has ended and the tracker is clean. The bytes handed out here are the re-copy bytes.</li>
 * </ol>
 * Metadata is sampled after every mark and clear; peak and final are reported.
 *
 * <p>Usage: {@code TrackingReplay TRACE [key=value ...]} with keys warmupSeconds (600),
 * passFraction (0.5), chunkBytes (4194304), promoteAfterWrites (1), topK (64), maxSeqArrays (32),
 * demoteMaxRuns (2), settleIdleSeconds (30), settleEverySeconds (10), trackers (comma-separated
 * names; default all). A benchmark tool for {@code scripts/bench tracking}, not part of the agent's API.
 */
public final class TrackingReplay
{
    private static final long MIB = 1L << 20;

    private TrackingReplay()
    {
    }

    /** One replayed write. */
    private record Writes(long[] offset, long[] length, double[] time, int count, double firstTime, double lastTime, long space)
    {
    }

    /** One tracker configuration under test. */
    private record Tracker(String name, String description, TrackingMap.Context context, int topK, boolean settle)
    {
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length < 1)
        {
            System.err.println("usage: TrackingReplay TRACE.csv [key=value ...]");
            System.exit(2);
        }
        final Path trace = Path.of(args[0]);
        double warmupSeconds = 600;
        double passFraction = 0.5;
        long chunkBytes = 4 * MIB;
        int promoteAfterWrites = 1;
        int topK = 64;
        double settleIdleSeconds = 30;
        double settleEverySeconds = 10;
        int demoteMaxRuns = 2;
        int maxSeqArrays = 32;
        String only = "";
        for (int i = 1; i < args.length; i++)
        {
            final String[] kv = args[i].split("=", 2);
            switch (kv[0])
            {
                case "warmupSeconds" -> warmupSeconds = Double.parseDouble(kv[1]);
                case "passFraction" -> passFraction = Double.parseDouble(kv[1]);
                case "chunkBytes" -> chunkBytes = Long.parseLong(kv[1]);
                case "promoteAfterWrites" -> promoteAfterWrites = Integer.parseInt(kv[1]);
                case "topK" -> topK = Integer.parseInt(kv[1]);
                case "settleIdleSeconds" -> settleIdleSeconds = Double.parseDouble(kv[1]);
                case "settleEverySeconds" -> settleEverySeconds = Double.parseDouble(kv[1]);
                case "demoteMaxRuns" -> demoteMaxRuns = Integer.parseInt(kv[1]);
                case "maxSeqArrays" -> maxSeqArrays = Integer.parseInt(kv[1]);
                case "trackers" -> only = kv[1];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }

        final Writes writes = read(trace);
        final double t0 = writes.firstTime() + warmupSeconds;
        final double remaining = writes.lastTime() + 1 - t0;
        final double rateBytesPerSecond = writes.space() / (remaining * passFraction);
        final long granule = MIB;
        final int granules = (int)(writes.space() / granule);
        final int[] heat = new int[granules];
        int firstTracked = 0;
        while (firstTracked < writes.count() && writes.time()[firstTracked] < t0)
        {
            final long g0 = writes.offset()[firstTracked] / granule;
            final long g1 = (writes.offset()[firstTracked] + writes.length()[firstTracked] - 1) / granule;
            for (long g = g0; g <= g1; g++)
            {
                heat[(int)g]++;
            }
            firstTracked++;
        }
        final RegionOrder coldFirst = g -> g < heat.length ? heat[(int)g] : 0;
        final int[] hottest = topGranules(heat, topK);

        final List<Tracker> trackers = List.of(
            new Tracker("fine4k", "4 KiB bitmaps with per-block seqs everywhere (promote on first write)",
                new TrackingMap.Context().promoteAfterWrites(1).coarseSpans(false).maxSeqArrays(Integer.MAX_VALUE), 0, false),
            new Tracker("coarse1m", "whole 1 MiB granules, no fine level",
                new TrackingMap.Context().promoteAfterWrites(0).coarseSpans(false), 0, false),
            new Tracker("spans1m", "1 MiB granules holding write-sized spans (older pieces merged), no fine level",
                new TrackingMap.Context().promoteAfterWrites(0).coarseSpans(true), 0, false),
            new Tracker("extents4k", "exact 4 KiB extents in the B-tree (4 KiB granules, no fine level)",
                new TrackingMap.Context().granuleBytes(4096).promoteAfterWrites(0).coarseSpans(true), 0, false),
            new Tracker("hierarchical", "1 MiB spans; fine 4 KiB for the top-" + topK + " warm-up regions and on gap-opening write " +
                promoteAfterWrites + "; per-block seqs for at most " + maxSeqArrays + " granules; settled after " +
                settleIdleSeconds + " s idle",
                new TrackingMap.Context().promoteAfterWrites(promoteAfterWrites).coarseSpans(true).demoteMaxRuns(demoteMaxRuns)
                    .maxSeqArrays(maxSeqArrays),
                topK, true));

        final StringBuilder json = new StringBuilder();
        json.append("{\"trace\":\"").append(trace.getFileName()).append("\",")
            .append("\"writes\":").append(writes.count()).append(',')
            .append("\"trackedWrites\":").append(writes.count() - firstTracked).append(',')
            .append("\"spaceBytes\":").append(writes.space()).append(',')
            .append("\"warmupSeconds\":").append(warmupSeconds).append(',')
            .append("\"rateBytesPerSecond\":").append(fmt(rateBytesPerSecond)).append(',')
            .append("\"chunkBytes\":").append(chunkBytes).append(',')
            .append("\"trackers\":[");
        boolean first = true;
        for (final Tracker tracker : trackers)
        {
            if (!only.isEmpty() && !Arrays.asList(only.split(",")).contains(tracker.name()))
            {
                continue;
            }
            final long[] nowNanos = {0};
            final TrackingMap.Context context = tracker.context().nanoClock(() -> nowNanos[0]);
            try (TrackingMap map = new TrackingMap(context))
            {
                if (tracker.topK() > 0)
                {
                    for (final int g : hottest)
                    {
                        map.markHot(g * granule, (g + 1) * granule);
                    }
                }
                final Result result = simulate(map, writes, firstTracked, t0, rateBytesPerSecond, chunkBytes, coldFirst,
                    tracker.settle(), settleIdleSeconds, settleEverySeconds, nowNanos);
                json.append(first ? "" : ",").append("{\"name\":\"").append(tracker.name()).append("\",")
                    .append("\"description\":\"").append(tracker.description()).append("\",")
                    .append("\"recopyBytes\":").append(result.recopyBytes).append(',')
                    .append("\"dirtyAfterPassBytes\":").append(result.dirtyAfterPassBytes).append(',')
                    .append("\"peakMetadataBytes\":").append(result.peakMetadataBytes).append(',')
                    .append("\"finalMetadataBytes\":").append(result.finalMetadataBytes).append(',')
                    .append("\"peakFineGranules\":").append(result.peakFineGranules).append(',')
                    .append("\"peakCompactGranules\":").append(result.peakCompactGranules).append(',')
                    .append("\"peakCoarseExtents\":").append(result.peakCoarseExtents).append(',')
                    .append("\"peakAtSeconds\":").append(fmt(result.peakAtSeconds - t0)).append(',')
                    .append("\"dirtyAtPeakBytes\":").append(result.dirtyAtPeakBytes).append(',')
                    .append("\"batches\":").append(result.batches).append(',')
                    .append("\"transferSeconds\":").append(fmt(result.endTime - t0)).append(',')
                    .append("\"wallMillis\":").append(result.wallMillis).append('}');
                first = false;
            }
        }
        json.append("]}");
        System.out.println(json);
    }

    private static String fmt(final double v)
    {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** Figures of one simulated transfer. */
    private static final class Result
    {
        long recopyBytes;
        long dirtyAfterPassBytes;
        long peakMetadataBytes;
        long finalMetadataBytes;
        int peakFineGranules;
        int peakCompactGranules;
        long peakCoarseExtents;
        long batches;
        double endTime;
        long wallMillis;

        double peakAtSeconds;
        long dirtyAtPeakBytes;

        void sample(final TrackingMap map, final double t)
        {
            final long metadataBytes = map.metadataBytes();
            if (metadataBytes > peakMetadataBytes)
            {
                peakMetadataBytes = metadataBytes;
                peakAtSeconds = t;
                dirtyAtPeakBytes = map.dirtyBytes();
            }
            peakFineGranules = Math.max(peakFineGranules, map.fineGranules());
            peakCompactGranules = Math.max(peakCompactGranules, map.compactGranules());
            peakCoarseExtents = Math.max(peakCoarseExtents, map.coarseExtents());
        }
    }

    private static Result simulate(
        final TrackingMap map, final Writes writes, final int firstTracked, final double t0, final double rate,
        final long chunkBytes, final RegionOrder order, final boolean settle, final double settleIdleSeconds,
        final double settleEverySeconds, final long[] nowNanos)
    {
        final long startMillis = System.currentTimeMillis();
        final Result result = new Result();
        final long[] ranges = new long[2 * 65536];
        final int[] rangeCount = {0};
        long seq = 0;
        int wi = firstTracked;
        double t = t0;
        double nextSettle = t0 + settleEverySeconds;
        final long idleNanos = (long)(settleIdleSeconds * 1e9);

        // Initial pass.
        for (long pos = 0; pos < writes.space(); pos += chunkBytes)
        {
            final long length = Math.min(chunkBytes, writes.space() - pos);
            final double end = t + length / rate;
            final long readStartSeq = seq + 1;
            while (wi < writes.count() && writes.time()[wi] < end)
            {
                nowNanos[0] = (long)(writes.time()[wi] * 1e9);
                map.mark(writes.offset()[wi], writes.length()[wi], ++seq);
                result.sample(map, writes.time()[wi]);
                wi++;
            }
            map.clear(pos, pos + length, readStartSeq);
            result.sample(map, t);
            t = end;
            if (settle && t >= nextSettle)
            {
                map.settle(idleNanos, (long)(t * 1e9));
                nextSettle = t + settleEverySeconds;
            }
        }
        result.dirtyAfterPassBytes = map.dirtyBytes();

        // Re-copy until the trace has ended and nothing is dirty.
        while (true)
        {
            rangeCount[0] = 0;
            final long got = map.nextBatch(order, chunkBytes, (s, e) ->
            {
                ranges[rangeCount[0]++] = s;
                ranges[rangeCount[0]++] = e;
            });
            if (got == 0)
            {
                if (wi >= writes.count())
                {
                    break;
                }
                // Idle until the next write.
                t = Math.max(t, writes.time()[wi]);
                nowNanos[0] = (long)(t * 1e9);
                map.mark(writes.offset()[wi], writes.length()[wi], ++seq);
                result.sample(map, writes.time()[wi]);
                wi++;
                continue;
            }
            result.batches++;
            result.recopyBytes += got;
            final double end = t + got / rate;
            final long readStartSeq = seq + 1;
            while (wi < writes.count() && writes.time()[wi] < end)
            {
                nowNanos[0] = (long)(writes.time()[wi] * 1e9);
                map.mark(writes.offset()[wi], writes.length()[wi], ++seq);
                result.sample(map, writes.time()[wi]);
                wi++;
            }
            for (int i = 0; i < rangeCount[0]; i += 2)
            {
                map.clear(ranges[i], ranges[i + 1], readStartSeq);
            }
            result.sample(map, t);
            t = end;
            if (settle && t >= nextSettle)
            {
                map.settle(idleNanos, (long)(t * 1e9));
                nextSettle = t + settleEverySeconds;
            }
        }
        result.endTime = t;
        result.finalMetadataBytes = map.metadataBytes();
        result.wallMillis = System.currentTimeMillis() - startMillis;
        return result;
    }

    private static int[] topGranules(final int[] heat, final int k)
    {
        final Integer[] index = new Integer[heat.length];
        for (int i = 0; i < index.length; i++)
        {
            index[i] = i;
        }
        Arrays.sort(index, (a, b) -> Integer.compare(heat[b], heat[a]));
        final int n = (int)Math.min(k, Arrays.stream(heat).filter(h -> h > 0).count());
        final int[] top = new int[n];
        for (int i = 0; i < n; i++)
        {
            top[i] = index[i];
        }
        return top;
    }

    private static Writes read(final Path trace) throws IOException
    {
        final List<long[]> rows = new ArrayList<>();
        final List<Double> times = new ArrayList<>();
        try (BufferedReader reader = Files.newBufferedReader(trace))
        {
            String line = reader.readLine();
            if (line == null || !line.startsWith("version,time,op,size,lbn"))
            {
                throw new IOException(trace + ": expected the header version,time,op,size,lbn");
            }
            int lineNumber = 1;
            while ((line = reader.readLine()) != null)
            {
                lineNumber++;
                if (line.isBlank())
                {
                    continue;
                }
                final String[] f = line.split(",");
                if (f.length != 5)
                {
                    throw new IOException(trace + ":" + lineNumber + ": expected 5 columns: " + line);
                }
                if (!f[2].trim().equalsIgnoreCase("2a"))
                {
                    continue;
                }
                try
                {
                    final long time = Long.parseLong(f[1].trim());
                    final long size = Long.parseLong(f[3].trim());
                    final long lbn = Long.parseLong(f[4].trim());
                    rows.add(new long[] {lbn * 512, size, time});
                }
                catch (final NumberFormatException ex)
                {
                    throw new IOException(trace + ":" + lineNumber + ": bad number: " + line, ex);
                }
            }
        }
        final int n = rows.size();
        final long[] offset = new long[n];
        final long[] length = new long[n];
        final double[] time = new double[n];
        long maxEnd = 0;
        // Spread the writes of one trace second evenly over it (the trace keeps their order).
        int i = 0;
        while (i < n)
        {
            int j = i;
            while (j < n && rows.get(j)[2] == rows.get(i)[2])
            {
                j++;
            }
            for (int k = i; k < j; k++)
            {
                final long[] r = rows.get(k);
                offset[k] = r[0];
                length[k] = r[1];
                time[k] = r[2] + (k - i + 0.5) / (j - i);
                maxEnd = Math.max(maxEnd, r[0] + r[1]);
            }
            i = j;
        }
        times.clear();
        final long space = (maxEnd + MIB - 1) / MIB * MIB;
        return new Writes(offset, length, time, n, n == 0 ? 0 : Math.floor(time[0]), n == 0 ? 0 : Math.floor(time[n - 1]), space);
    }
}
