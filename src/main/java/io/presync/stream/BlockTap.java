package io.presync.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The kernel block tap: every write, discard, write-zeroes and flush that <em>completes</em> on one
 * block device, from the block layer's completion tracepoints, for any writer (filesystem,
 * database, fio) without being in the data path. Completion, not queueing: when an event is handed
 * out, a read of its range sees the new data.
 *
 * <h2>How</h2>
 * A trace instance of our own ({@code /sys/kernel/tracing/instances/presync-PID}, so the global
 * buffer and other tracers are undisturbed) with {@code block:block_rq_complete} enabled (blk-mq
 * devices; {@code block:block_bio_complete} for bio-based ones such as device-mapper, chosen by whether
 * the disk has an {@code mq} directory in sysfs), an in-kernel
 * filter on the device number and the operation, the {@code mono} trace clock, and one reader
 * thread per CPU reading binary ring-buffer pages from {@code trace_pipe_raw}. Payloads are decoded
 * with offsets from the event's {@code format} file. Stale {@code presync-PID} instances of dead
 * processes are removed at start; ours is removed by {@link #close()}.
 *
 * <p>Checked on kernel 6.18: a loop device (blk-mq) fires {@code block_rq_complete} for writes,
 * discards ({@code D}), write-zeroes ({@code N}) and flushes ({@code FF} with sector -1, then a
 * zero-length {@code WS}); {@code block_bio_complete} does not fire for loop or virtio disks, so
 * the two events never report the same request. The bio-based path could not be exercised here
 * (no device-mapper in this kernel). A partition is watched as a sector window of its disk.
 *
 * <p>A completion with an error is handed out like any other: part of the range may have been
 * written, so the replication must treat it as changed.
 *
 * <h2>Order and sequence numbers</h2>
 * Each CPU's events are in time order; {@link #poll} merges the CPUs by timestamp and numbers events
 * in the order it hands them out. The reorder window is bounded: an event is handed out once every
 * other CPU has delivered an event at least as late (so nothing earlier can still come from it), or
 * once {@code reorderWindowNanos} (10 ms by default) have passed since its timestamp, whichever is
 * first. An event that reaches the merger later than that (its reader stalled for longer than the
 * window) is handed out at once, out of time order, and counted in {@link #lateEvents()}; its
 * sequence number is still the order of hand-out, which is what the replication relies on
 * (handed out implies completed).
 *
 * <h2>Flush barrier</h2>
 * Handed out implies completed, not the converse: a write that completed a moment ago may still be in
 * the kernel's per-CPU buffer, with a reader thread, or held by the reorder window (when the other
 * CPUs are quiet, for the whole window). {@link #requestBarrier()} bounds that: once
 * {@link #barrierCompleted()} reaches its number, every event recorded before the request has been
 * handed out. Measured on kernel 6.18 (2 CPUs): blocking reads of {@code trace_pipe_raw} return partly
 * filled pages within tens of microseconds of a write, but a lone write was handed out only after
 * about 10 ms (p50, the reorder window waiting for the idle CPU), so a poll right after it finds nothing.
 *
 * <h2>Loss</h2>
 * When the kernel buffer overruns, a page carries the missed-events flag (and usually the count),
 * and {@code per_cpu/cpuN/stats} counts {@code overrun}, {@code commit overrun} and
 * {@code dropped events}. Both are checked; each newly detected loss is handed out as a
 * {@link WriteOp#LOST} event covering the whole device, with the count when known. Never silent.
 *
 * <p>Threads: {@link #poll}, {@link #drain} and {@link #close} from one consumer thread. Polling
 * allocates nothing, the periodic statistics check included.
 */
public final class BlockTap implements AutoCloseable
{
    /** Settings of a tap; defaults suit a busy device on a small machine. */
    public static final class Options
    {
        int bufferSizeKb = 4096;
        long reorderWindowNanos = TimeUnit.MILLISECONDS.toNanos(10);
        long idleNanos = TimeUnit.MILLISECONDS.toNanos(1);
        int pagesInFlight = 256;
        long firstSequence = 1;
        long statsIntervalNanos = TimeUnit.MILLISECONDS.toNanos(250);
        boolean flushBarriers = true;
        Path tracefsRoot = TraceFs.DEFAULT_ROOT;

        /** Kernel buffer per CPU ({@code buffer_size_kb}); the kernel rounds it up to whole pages. */
        public Options bufferSizeKb(final int kb)
        {
            if (kb < 1)
            {
                throw new IllegalArgumentException("bufferSizeKb must be at least 1, got " + kb);
            }
            bufferSizeKb = kb;
            return this;
        }

        /** Longest an event waits for other CPUs to catch up before it is handed out anyway. */
        public Options reorderWindowNanos(final long nanos)
        {
            reorderWindowNanos = Math.max(0, nanos);
            return this;
        }

        /** How long a reader sleeps after it caught up with the kernel (batches reads at low rates). */
        public Options idleNanos(final long nanos)
        {
            idleNanos = Math.max(1000, nanos);
            return this;
        }

        /** Sequence number of the first event (to continue an existing log). */
        public Options firstSequence(final long sequence)
        {
            firstSequence = sequence;
            return this;
        }

        /** Page buffers in flight per CPU between its reader and the consumer. */
        public Options pagesInFlight(final int pages)
        {
            pagesInFlight = Math.max(2, pages);
            return this;
        }

        /**
         * Whether {@link BlockTap#requestBarrier()} may write markers; off, it always returns 0 as on a
         * kernel without {@code trace_marker_raw} (tests of the fallback).
         */
        public Options flushBarriers(final boolean on)
        {
            flushBarriers = on;
            return this;
        }

        /** Where tracefs is (or is to be mounted). */
        public Options tracefsRoot(final Path root)
        {
            tracefsRoot = root;
            return this;
        }
    }

    private final BlockDeviceId device;
    private final Options options;
    private final Path instance;
    private final Path eventDir;
    private final CpuReader[] readers;
    private final Thread[] threads;
    private final Path[] cpuDirs;
    private final CpuStatsReader[] stats;
    private final PageCursor[] cursors;
    private final CpuReader.Page[] current;
    private final boolean[] ready;
    private final long[] lastTime;
    private final long[] lostAccounted;
    private final long[] lostFromPages;
    /** Per CPU: the highest barrier whose marker the consumer walked past (0 none). */
    private final long[] barrierReached;
    private final BlockEventDecoder decoder;
    private final long kernelDev;
    private final long startSector;
    private final long endSector;
    private final long epochOffsetNanos;
    private final WriteEvent event = new WriteEvent();

    private long nextSequence;
    private long delivered;
    private long writeBytes;
    private long lostEvents;
    private long lostReports;
    private long lateEvents;
    private long lastDeliveredTime = Long.MIN_VALUE;
    private long nextStatsCheck;
    private FlushBarrier barrier;
    private int[] barrierCpus;
    private String barrierUnavailable;
    private long barrierCompleted;
    private boolean stopped;
    private boolean closed;

    private BlockTap(
        final BlockDeviceId device,
        final Options options,
        final Path instance,
        final Path eventDir,
        final RingBufferPageDescriptor.Layout layout,
        final BlockEventDecoder decoder,
        final int pageBytes) throws IOException
    {
        this.device = device;
        this.options = options;
        this.instance = instance;
        this.eventDir = eventDir;
        this.decoder = decoder;
        this.kernelDev = device.kernelDev();
        this.startSector = device.startSector();
        this.endSector = device.startSector() + device.sizeSectors();
        this.nextSequence = options.firstSequence;
        cpuDirs = TraceFs.perCpuDirs(instance);
        final int cpus = cpuDirs.length;
        readers = new CpuReader[cpus];
        stats = new CpuStatsReader[cpus];
        threads = new Thread[cpus];
        cursors = new PageCursor[cpus];
        current = new CpuReader.Page[cpus];
        ready = new boolean[cpus];
        lastTime = new long[cpus];
        lostAccounted = new long[cpus];
        lostFromPages = new long[cpus];
        barrierReached = new long[cpus];
        java.util.Arrays.fill(lastTime, Long.MIN_VALUE);
        try
        {
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                if (cpuDirs[cpu] == null)
                {
                    continue;
                }
                cursors[cpu] = new PageCursor(layout);
                readers[cpu] = new CpuReader(cpu, cpuDirs[cpu], pageBytes, options.pagesInFlight, layout, options.idleNanos);
                stats[cpu] = new CpuStatsReader(cpuDirs[cpu]);
                stats[cpu].read();
                lostAccounted[cpu] = stats[cpu].lost;
            }
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                if (readers[cpu] != null)
                {
                    threads[cpu] = Thread.ofPlatform().daemon().name("presync-tap-cpu" + cpu).start(readers[cpu]);
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // Open files keep the instance busy: let go of them so the caller can remove it.
            releaseFiles();
            throw ex;
        }
        final Instant now = Instant.now();
        epochOffsetNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        nextStatsCheck = System.nanoTime() + options.statsIntervalNanos;
    }

    /**
     * Starts tapping {@code device}: sets up the trace instance and its readers and enables the
     * events. Events completing from now on are captured.
     *
     * @throws io.presync.RefusedException when {@code device} is not a block device
     * @throws TapUnavailableException when tracefs or the block tracepoints are unavailable
     */
    public static BlockTap open(final Path device, final Options options) throws IOException
    {
        final BlockDeviceId id = BlockDeviceId.of(device);
        final Path root = options.tracefsRoot;
        TraceFs.ensureMounted(root);
        final String eventName = id.requestBased() ? "block_rq_complete" : "block_bio_complete";
        final Path globalEvent = root.resolve("events/block").resolve(eventName);
        if (!Files.exists(globalEvent.resolve("format")))
        {
            throw new TapUnavailableException("this kernel has no block:" + eventName +
                " tracepoint, so block completions cannot be traced; use a kernel with CONFIG_BLOCK and CONFIG_TRACEPOINTS.");
        }
        TraceFs.removeStaleInstances(root);
        final RingBufferPageDescriptor.Layout layout = RingBufferPageDescriptor.readLayout(root);
        final Path instance = TraceFs.createInstance(root);
        BlockTap tap = null;
        try
        {
            TraceFs.write(instance.resolve("tracing_on"), "0");
            TraceFs.write(instance.resolve("buffer_size_kb"), Integer.toString(options.bufferSizeKb));
            if (!java.util.Arrays.asList(TraceFs.read(instance.resolve("trace_clock")).replace("[", " ").replace("]", " ")
                .strip().split("\\s+")).contains("mono"))
            {
                throw new TapUnavailableException("the trace clock 'mono' is missing in " + instance.resolve("trace_clock") +
                    ", so event times cannot be related to the system clock.");
            }
            TraceFs.write(instance.resolve("trace_clock"), "mono");
            final Path subbuf = instance.resolve("buffer_subbuf_size_kb");
            final int pageBytes = Files.exists(subbuf) ? Integer.parseInt(TraceFs.read(subbuf).strip()) * 1024 : 4096;
            final Path eventDir = instance.resolve("events/block").resolve(eventName);
            final EventFormat format = EventFormat.read(eventDir.resolve("format"));
            final BlockEventDecoder decoder = new BlockEventDecoder(format);
            try
            {
                TraceFs.write(eventDir.resolve("filter"), filterOf(id));
            }
            catch (final IOException ex)
            {
                throw new TapUnavailableException("the kernel refused the event filter '" + filterOf(id) + "' on " +
                    eventDir + " (" + ex.getMessage() + "), so the tap cannot select the device's writes.");
            }
            tap = new BlockTap(id, options, instance, eventDir, layout, decoder, pageBytes);
            TraceFs.write(instance.resolve("tracing_on"), "1");
            TraceFs.write(eventDir.resolve("enable"), "1");
            return tap;
        }
        catch (final Throwable ex)
        {
            // Whatever went wrong, the instance must not outlive us.
            try
            {
                if (tap != null)
                {
                    tap.close();
                }
                else
                {
                    TraceFs.removeInstance(instance);
                }
            }
            catch (final IOException cleanup)
            {
                ex.addSuppressed(cleanup);
            }
            throw ex;
        }
    }

    /** The in-kernel filter: our device, write-side operations, and for a partition its window. */
    static String filterOf(final BlockDeviceId id)
    {
        final String ops = "(rwbs ~ \"*W*\" || rwbs ~ \"*D*\" || rwbs ~ \"N*\" || rwbs ~ \"F*\")";
        String filter = "dev == " + id.kernelDev() + " && " + ops;
        if (id.startSector() != 0)
        {
            filter += " && (nr_sector == 0 || (sector >= " + id.startSector() + " && sector < " +
                (id.startSector() + id.sizeSectors()) + "))";
        }
        return filter;
    }

    /**
     * Hands out up to {@code limit} events that are ready (see the class comment on ordering) and
     * returns how many. Allocates nothing except when it reads the per-CPU statistics (a few times a
     * second).
     */
    public int poll(final WriteEventHandler handler, final int limit) throws IOException
    {
        return poll(handler, limit, false);
    }

    private int poll(final WriteEventHandler handler, final int limit, final boolean flush) throws IOException
    {
        final long now = System.nanoTime();
        checkReaders();
        int count = 0;
        final int cpus = readers.length;
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            if (readers[cpu] != null && !ready[cpu])
            {
                count += advance(cpu, handler);
            }
        }
        final long window = options.reorderWindowNanos;
        while (count < limit)
        {
            int best = -1;
            long bestTime = Long.MAX_VALUE;
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                if (ready[cpu] && cursors[cpu].eventTime() < bestTime)
                {
                    best = cpu;
                    bestTime = cursors[cpu].eventTime();
                }
            }
            if (best < 0)
            {
                break;
            }
            if (!flush && now - bestTime < window && !othersPast(best, bestTime))
            {
                break;
            }
            deliver(best, handler);
            count++;
            ready[best] = false;
            count += advance(best, handler);
        }
        if (now - nextStatsCheck >= 0 || flush)
        {
            nextStatsCheck = now + options.statsIntervalNanos;
            count += checkStats(handler);
        }
        if (barrier != null)
        {
            updateBarrierCompleted();
        }
        return count;
    }

    private void updateBarrierCompleted()
    {
        long all = Long.MAX_VALUE;
        for (final int cpu : barrierCpus)
        {
            all = Math.min(all, barrierReached[cpu]);
        }
        if (all > barrierCompleted)
        {
            barrierCompleted = all;
        }
    }

    /**
     * Starts a flush barrier and returns its number (increasing from 1), or 0 when this tap cannot make
     * barriers ({@link #barrierUnavailableReason()} says why). The barrier is complete
     * ({@link #barrierCompleted()} at least its number) once every event recorded by the kernel before
     * this call, on any CPU, has been handed out by {@link #poll}: a write that completed before this
     * call is then known to the caller, even if it was still in a partly filled kernel page, in a
     * reader's hands or held back by the reorder window. It does not need the buffers to be empty, so a
     * steady writer cannot starve it.
     *
     * <p>How: a marker thread writes a marker into every online CPU's ring buffer, pinned to that CPU
     * ({@link FlushBarrier}); the kernel orders it after everything that CPU recorded before. The
     * consumer walks a CPU's events past the marker only after handing out each event of ours before it
     * (walking stops at the first one not yet handed out), so when every CPU's walk has passed its
     * marker, the barrier is complete. A marker the kernel overwrites in an overrun (a LOST event) never
     * arrives: request another barrier, whose completion implies every earlier one. The marker thread
     * starts on the first request, so a tap that never asks (the write log of {@code presync tap}) has
     * none; markers are never handed out as events.
     */
    public long requestBarrier()
    {
        if (stopped || barrierUnavailable != null)
        {
            return 0;
        }
        if (barrier == null)
        {
            try
            {
                if (!options.flushBarriers)
                {
                    throw new TapUnavailableException("the tap's flush barriers are switched off (BlockTap.Options.flushBarriers)");
                }
                barrierCpus = onlineCpusOf(readers);
                if (barrierCpus.length == 0)
                {
                    throw new TapUnavailableException("no online CPU has a reader of " + instance);
                }
                barrier = FlushBarrier.open(instance, options.tracefsRoot, barrierCpus);
            }
            catch (final IOException ex)
            {
                barrierUnavailable = ex.getMessage();
                return 0;
            }
        }
        return barrier.failure() == null ? barrier.request() : 0;
    }

    /** The highest barrier number that is complete (see {@link #requestBarrier()}); 0 before the first. */
    public long barrierCompleted()
    {
        return barrierCompleted;
    }

    /** Why this tap cannot make flush barriers (or stopped making them), or null while they work. */
    public String barrierUnavailableReason()
    {
        if (barrierUnavailable != null)
        {
            return barrierUnavailable;
        }
        return barrier == null ? null : barrier.failure();
    }

    /** CPUs that have a reader and are online (/sys/devices/system/cpu/online): only they record events. */
    private static int[] onlineCpusOf(final CpuReader[] readers) throws IOException
    {
        final java.util.BitSet online = new java.util.BitSet();
        final Path list = Path.of("/sys/devices/system/cpu/online");
        if (Files.exists(list))
        {
            for (final String part : TraceFs.read(list).strip().split(","))
            {
                final int dash = part.indexOf('-');
                final int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                final int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                online.set(from, to + 1);
            }
        }
        else
        {
            online.set(0, readers.length);
        }
        return java.util.stream.IntStream.range(0, readers.length).filter(cpu -> readers[cpu] != null && online.get(cpu)).toArray();
    }

    private boolean othersPast(final int cpu, final long time)
    {
        for (int other = 0; other < readers.length; other++)
        {
            if (other != cpu && readers[other] != null && !ready[other] && lastTime[other] < time)
            {
                return false;
            }
        }
        return true;
    }

    /** Moves CPU {@code cpu}'s cursor to its next event of ours; returns LOST events handed out. */
    private int advance(final int cpu, final WriteEventHandler handler) throws IOException
    {
        int lost = 0;
        final PageCursor cursor = cursors[cpu];
        final BlockEventDecoder decoder = this.decoder;
        while (true)
        {
            final CpuReader.Page page = current[cpu];
            if (page != null)
            {
                while (cursor.next())
                {
                    lastTime[cpu] = cursor.eventTime();
                    if (decoder.decode(page.buffer, cursor.payloadOffset(), cursor.payloadBytes()))
                    {
                        if (decoder.op != null && decoder.dev == kernelDev && inWindow(decoder))
                        {
                            ready[cpu] = true;
                            return lost;
                        }
                    }
                    else if (barrier != null)
                    {
                        // Walking past a marker: every event of ours this CPU recorded before it was handed out.
                        final long round = barrier.markerAt(page.buffer, cursor.payloadOffset(), cursor.payloadBytes());
                        if (round > barrierReached[cpu])
                        {
                            barrierReached[cpu] = round;
                        }
                    }
                }
                current[cpu] = null;
                readers[cpu].free.offer(page);
            }
            final CpuReader.Page next = readers[cpu].full.poll();
            if (next == null)
            {
                return lost;
            }
            current[cpu] = next;
            if (cursor.wrap(next.buffer, next.bytes) && cursor.missedEvents())
            {
                lost += pageLoss(cpu, cursor.missedCount(), cursor.pageTimestamp(), handler);
            }
        }
    }

    private boolean inWindow(final BlockEventDecoder decoder)
    {
        return decoder.op == WriteOp.FLUSH || decoder.sector >= startSector && decoder.sector < endSector;
    }

    private void deliver(final int cpu, final WriteEventHandler handler) throws IOException
    {
        final BlockEventDecoder d = decoder;
        // Re-decode: another CPU's advance may have used the shared decoder since.
        final CpuReader.Page page = current[cpu];
        final PageCursor cursor = cursors[cpu];
        d.decode(page.buffer, cursor.payloadOffset(), cursor.payloadBytes());
        final long time = cursor.eventTime();
        if (time < lastDeliveredTime)
        {
            lateEvents++;
        }
        else
        {
            lastDeliveredTime = time;
        }
        long offset = 0;
        long length = 0;
        if (d.op != WriteOp.FLUSH)
        {
            offset = (d.sector - startSector) << 9;
            final long endSectorOfEvent = Math.min(d.sector + d.sectors, endSector);
            length = (endSectorOfEvent - d.sector) << 9;
            writeBytes += length;
        }
        event.set(nextSequence++, epochOffsetNanos + time, d.op, offset, length, 1);
        delivered++;
        handler.onEvent(event);
    }

    private int pageLoss(final int cpu, final long count, final long traceTime, final WriteEventHandler handler)
        throws IOException
    {
        long newly;
        if (count != WriteEvent.UNKNOWN_COUNT)
        {
            lostFromPages[cpu] += count;
            newly = Math.max(0, lostFromPages[cpu] - lostAccounted[cpu]);
            lostAccounted[cpu] = Math.max(lostAccounted[cpu], lostFromPages[cpu]);
            if (newly == 0)
            {
                // The statistics reported this loss already.
                return 0;
            }
        }
        else
        {
            stats[cpu].read();
            final long total = stats[cpu].lost;
            newly = total > lostAccounted[cpu] ? total - lostAccounted[cpu] : WriteEvent.UNKNOWN_COUNT;
            lostAccounted[cpu] = Math.max(lostAccounted[cpu], total);
        }
        reportLoss(newly, epochOffsetNanos + traceTime, handler);
        return 1;
    }

    private int checkStats(final WriteEventHandler handler) throws IOException
    {
        int reports = 0;
        for (int cpu = 0; cpu < readers.length; cpu++)
        {
            if (stats[cpu] == null)
            {
                continue;
            }
            stats[cpu].read();
            final long total = stats[cpu].lost;
            if (total > lostAccounted[cpu])
            {
                final long newly = total - lostAccounted[cpu];
                lostAccounted[cpu] = total;
                reportLoss(newly, epochOffsetNanos + System.nanoTime(), handler);
                reports++;
            }
        }
        return reports;
    }

    private void reportLoss(final long count, final long timeNanos, final WriteEventHandler handler) throws IOException
    {
        if (count > 0)
        {
            lostEvents += count;
        }
        lostReports++;
        event.set(nextSequence++, timeNanos, WriteOp.LOST, 0, device.sizeBytes(), count);
        delivered++;
        handler.onEvent(event);
    }

    private void checkReaders() throws IOException
    {
        for (final CpuReader reader : readers)
        {
            if (reader != null && reader.failure() != null)
            {
                throw reader.failure();
            }
        }
    }

    /**
     * Stops capturing, waits (up to {@code timeoutNanos}) until the readers have taken everything
     * the kernel still buffers, and hands out every remaining event regardless of the reorder
     * window. Returns the number handed out. The tap is stopped afterwards; {@link #close()} it.
     */
    public long drain(final WriteEventHandler handler, final long timeoutNanos) throws IOException
    {
        if (stopped)
        {
            return 0;
        }
        long count = 0;
        TraceFs.write(eventDir.resolve("enable"), "0");
        final long deadline = System.nanoTime() + timeoutNanos;
        while (true)
        {
            count += poll(handler, Integer.MAX_VALUE, false);
            boolean empty = true;
            for (final CpuStatsReader cpuStats : stats)
            {
                if (cpuStats != null)
                {
                    cpuStats.read();
                    if (cpuStats.entries > 0)
                    {
                        empty = false;
                        break;
                    }
                }
            }
            if (empty || System.nanoTime() - deadline > 0)
            {
                break;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(options.idleNanos);
        }
        stopReaders();
        count += poll(handler, Integer.MAX_VALUE, true);
        return count;
    }

    private void stopReaders()
    {
        if (stopped)
        {
            return;
        }
        stopped = true;
        for (final CpuReader reader : readers)
        {
            if (reader != null)
            {
                reader.stop();
            }
        }
        for (final Thread thread : threads)
        {
            if (thread != null)
            {
                try
                {
                    thread.join(TimeUnit.SECONDS.toMillis(5));
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stops the readers (events not yet handed out are dropped) and removes the trace instance. Idempotent. */
    @Override
    public void close() throws IOException
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            TraceFs.write(eventDir.resolve("enable"), "0");
        }
        catch (final IOException ex)
        {
            // Removing the instance below disables it anyway.
        }
        releaseFiles();
        TraceFs.removeInstance(instance);
    }

    private void releaseFiles()
    {
        if (barrier != null)
        {
            barrier.close();
        }
        stopReaders();
        for (final CpuStatsReader cpuStats : stats)
        {
            if (cpuStats != null)
            {
                try
                {
                    cpuStats.close();
                }
                catch (final IOException ex)
                {
                    // Nothing to do about a failed close of a tracefs file.
                }
            }
        }
    }

    /** The trace instance directory (for diagnostics and tests). */
    public Path instance()
    {
        return instance;
    }

    /** Size of the tapped device in bytes. */
    public long deviceSizeBytes()
    {
        return device.sizeBytes();
    }

    /** Events handed out so far, LOST events included. */
    public long eventsDelivered()
    {
        return delivered;
    }

    /** Bytes of writes, discards and write-zeroes handed out so far. */
    public long bytesDelivered()
    {
        return writeBytes;
    }

    /** Events the kernel reported lost (known counts only). */
    public long lostEvents()
    {
        return lostEvents;
    }

    /** LOST events handed out. */
    public long lostReports()
    {
        return lostReports;
    }

    /** Events handed out after a later one (reader stalled longer than the reorder window). */
    public long lateEvents()
    {
        return lateEvents;
    }

    /** The sequence number the next event will get. */
    public long nextSequence()
    {
        return nextSequence;
    }
}
