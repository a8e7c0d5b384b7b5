package io.presync.cli;

import io.presync.replicate.ReplicationJob;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options {@code presync plan} and {@code presync replicate} share (a picocli mixin). */
final class JobOptions
{
    @Option(names = "--master", required = true, paramLabel = "DEV", description = "The master block device (only read).")
    Path master;

    @Option(names = "--pool", required = true, paramLabel = "DEV", description = "The pool's block device (presync pool create).")
    Path pool;

    @Option(names = "--partition", paramLabel = "NAME", description = "Partition name (default: the master's device name).")
    String partition;

    @Option(names = "--confidence", defaultValue = "0.95", paramLabel = "C",
        description = "Confidence of the growth bound, in (0, 1) (default: ${DEFAULT-VALUE}): the buffer is the one-sided " +
            "C quantile of the new bytes expected during the transfer, so at 0.95 no extension is needed in 95% of transfers.")
    double confidence;

    @Option(names = "--max-partition", converter = SizeConverter.class, paramLabel = "SIZE",
        description = "Upper limit of the partition size.")
    long maxPartitionBytes;

    @Option(names = "--history", paramLabel = "FILE", description = "Write history: a trace, a series CSV or a write log.")
    Path history;

    @Option(names = "--history-format", paramLabel = "FORMAT",
        description = "blkparse, cloudphysics, msr, log or series (default: guessed).")
    String historyFormat;

    @Option(names = "--copy-order", hidden = true, defaultValue = "cold-first", paramLabel = "ORDER",
        description = "For benchmarks: bulk copy order, cold-first (default) or lba (ascending addresses, the baseline).")
    String copyOrder;

    @Option(names = "--tracking", hidden = true, defaultValue = "hierarchical", paramLabel = "KIND",
        description = "For benchmarks: dirty tracking, hierarchical (default) or coarse (whole 1 MiB granules, the baseline).")
    String tracking;

    @Option(names = "--stream", hidden = true, defaultValue = "deferred", paramLabel = "WHEN",
        description = "For benchmarks: deferred (default: writes into chunks the bulk copy has still to read wait for it) " +
            "or eager (stream every write at once, copying such chunks twice).")
    String stream;

    @Option(names = "--bulk-limit", converter = SizeConverter.class, paramLabel = "SIZE",
        description = "Read at most SIZE per second for the bulk copy (like a resync rate limit on a shared link; new " +
            "writes are still streamed at once); the plan's copy rate is capped by it (default: no limit).")
    Long bulkLimitBytesPerSecond;

    /** The job's options, with the write-log directory ({@code null}: the default). */
    ReplicationJob.Options toJobOptions(final Path logDirectory)
    {
        if (!(confidence > 0 && confidence < 1))
        {
            throw new IllegalArgumentException("--confidence must lie between 0 and 1 (exclusive), not " + confidence);
        }
        final ReplicationJob.Options o = new ReplicationJob.Options();
        o.master = master;
        o.pool = pool;
        o.partition = partition;
        o.confidence = confidence;
        o.maxPartitionBytes = maxPartitionBytes;
        o.history = history;
        o.historyFormat = historyFormat;
        o.logDirectory = logDirectory;
        if (!copyOrder.equals("cold-first") && !copyOrder.equals("lba"))
        {
            throw new IllegalArgumentException("--copy-order " + copyOrder + " is unknown; give cold-first or lba");
        }
        if (!tracking.equals("hierarchical") && !tracking.equals("coarse"))
        {
            throw new IllegalArgumentException("--tracking " + tracking + " is unknown; give hierarchical or coarse");
        }
        if (!stream.equals("deferred") && !stream.equals("eager"))
        {
            throw new IllegalArgumentException("--stream " + stream + " is unknown; give deferred or eager");
        }
        o.eagerStreaming = stream.equals("eager");
        o.lbaOrder = copyOrder.equals("lba");
        o.coarseTracking = tracking.equals("coarse");
        if (bulkLimitBytesPerSecond != null)
        {
            o.bulkLimitBytesPerSecond = bulkLimitBytesPerSecond;
        }
        return o;
    }
}
