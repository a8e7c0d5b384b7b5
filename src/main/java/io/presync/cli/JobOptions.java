package io.presync.cli;

import io.presync.replicate.ReplicationJob;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/**
 * The options {@code presync plan} and {@code presync replicate} share (a picocli mixin). {@link #addTo} adds
 * the same options to a model built in code ({@link ReplicateCommand#model()}); the texts live in constants so
 * the two cannot drift apart.
 */
final class JobOptions
{
    static final String MASTER_DESCRIPTION = "The master block device (only read).";
    static final String POOL_DESCRIPTION = "The pool's block device (presync pool create).";
    static final String PARTITION_DESCRIPTION = "Partition name (default: the master's device name).";
    static final String CONFIDENCE_DEFAULT = "0.95";
    static final String CONFIDENCE_DESCRIPTION = "Confidence of the growth bound, in (0, 1) (default: ${DEFAULT-VALUE}): " +
        "the buffer is the one-sided C quantile of the new bytes expected during the transfer, so at 0.95 no extension " +
        "is needed in 95%% of transfers.";
    static final String MAX_PARTITION_DESCRIPTION = "Upper limit of the planned partition size and of extensions made " +
        "ahead of need; data that does not fit still extends the partition as it is copied (default: no limit).";
    static final String HISTORY_DESCRIPTION = "Write history: a trace, a series CSV or a write log.";
    static final String HISTORY_FORMAT_DESCRIPTION = "blkparse, cloudphysics, msr, log or series (default: guessed).";
    static final String COPY_ORDER_DEFAULT = "cold-first";
    static final String COPY_ORDER_DESCRIPTION = "For benchmarks: bulk copy order, cold-first (default) or lba " +
        "(ascending addresses, the baseline).";
    static final String TRACKING_DEFAULT = "hierarchical";
    static final String TRACKING_DESCRIPTION = "For benchmarks: dirty tracking, hierarchical (default) or coarse " +
        "(whole 1 MiB granules, the baseline).";
    static final String STREAM_DEFAULT = "deferred";
    static final String STREAM_DESCRIPTION = "For benchmarks: deferred (default: writes into chunks the bulk copy has " +
        "still to read wait for it) or eager (stream every write at once, copying such chunks twice).";
    static final String BULK_LIMIT_DESCRIPTION = "Read at most SIZE per second for the bulk copy (like a resync rate " +
        "limit on a shared link; new writes are still streamed at once); the plan's copy rate is capped by it " +
        "(default: no limit).";

    @Option(names = "--master", required = true, paramLabel = "DEV", description = MASTER_DESCRIPTION)
    Path master;

    @Option(names = "--pool", required = true, paramLabel = "DEV", description = POOL_DESCRIPTION)
    Path pool;

    @Option(names = "--partition", paramLabel = "NAME", description = PARTITION_DESCRIPTION)
    String partition;

    @Option(names = "--confidence", defaultValue = CONFIDENCE_DEFAULT, paramLabel = "C", description = CONFIDENCE_DESCRIPTION)
    double confidence;

    @Option(names = "--max-partition", converter = SizeConverter.class, paramLabel = "SIZE",
        description = MAX_PARTITION_DESCRIPTION)
    long maxPartitionBytes;

    @Option(names = "--history", paramLabel = "FILE", description = HISTORY_DESCRIPTION)
    Path history;

    @Option(names = "--history-format", paramLabel = "FORMAT", description = HISTORY_FORMAT_DESCRIPTION)
    String historyFormat;

    @Option(names = "--copy-order", hidden = true, defaultValue = COPY_ORDER_DEFAULT, paramLabel = "ORDER",
        description = COPY_ORDER_DESCRIPTION)
    String copyOrder;

    @Option(names = "--tracking", hidden = true, defaultValue = TRACKING_DEFAULT, paramLabel = "KIND",
        description = TRACKING_DESCRIPTION)
    String tracking;

    @Option(names = "--stream", hidden = true, defaultValue = STREAM_DEFAULT, paramLabel = "WHEN",
        description = STREAM_DESCRIPTION)
    String stream;

    @Option(names = "--bulk-limit", converter = SizeConverter.class, paramLabel = "SIZE", description = BULK_LIMIT_DESCRIPTION)
    Long bulkLimitBytesPerSecond;

    /**
     * Adds these options to {@code spec}, bound to this object's fields, as picocli derives them from the
     * annotations above (ReplicateCommandModelTest compares the two). Initial values are the fields': picocli
     * resets every option to it before parsing.
     */
    void addTo(final CommandLine.Model.CommandSpec spec)
    {
        final PathConverter paths = new PathConverter();
        final SizeConverter sizes = new SizeConverter();
        spec.addOption(OptionSpec.builder("--master").required(true).paramLabel("DEV").type(Path.class).converters(paths)
            .description(MASTER_DESCRIPTION).setter(bind(Binding.MASTER)).getter(bind(Binding.MASTER)).build());
        spec.addOption(OptionSpec.builder("--pool").required(true).paramLabel("DEV").type(Path.class).converters(paths)
            .description(POOL_DESCRIPTION).setter(bind(Binding.POOL)).getter(bind(Binding.POOL)).build());
        spec.addOption(OptionSpec.builder("--partition").paramLabel("NAME").type(String.class)
            .description(PARTITION_DESCRIPTION).setter(bind(Binding.PARTITION)).getter(bind(Binding.PARTITION)).build());
        spec.addOption(OptionSpec.builder("--confidence").paramLabel("C").type(double.class).initialValue(0d)
            .defaultValue(CONFIDENCE_DEFAULT).description(CONFIDENCE_DESCRIPTION)
            .setter(bind(Binding.CONFIDENCE)).getter(bind(Binding.CONFIDENCE)).build());
        spec.addOption(OptionSpec.builder("--max-partition").paramLabel("SIZE").type(long.class).converters(sizes)
            .initialValue(0L).description(MAX_PARTITION_DESCRIPTION)
            .setter(bind(Binding.MAX_PARTITION)).getter(bind(Binding.MAX_PARTITION)).build());
        spec.addOption(OptionSpec.builder("--history").paramLabel("FILE").type(Path.class).converters(paths)
            .description(HISTORY_DESCRIPTION).setter(bind(Binding.HISTORY)).getter(bind(Binding.HISTORY)).build());
        spec.addOption(OptionSpec.builder("--history-format").paramLabel("FORMAT").type(String.class)
            .description(HISTORY_FORMAT_DESCRIPTION)
            .setter(bind(Binding.HISTORY_FORMAT)).getter(bind(Binding.HISTORY_FORMAT)).build());
        spec.addOption(OptionSpec.builder("--copy-order").hidden(true).paramLabel("ORDER").type(String.class)
            .defaultValue(COPY_ORDER_DEFAULT).description(COPY_ORDER_DESCRIPTION)
            .setter(bind(Binding.COPY_ORDER)).getter(bind(Binding.COPY_ORDER)).build());
        spec.addOption(OptionSpec.builder("--tracking").hidden(true).paramLabel("KIND").type(String.class)
            .defaultValue(TRACKING_DEFAULT).description(TRACKING_DESCRIPTION)
            .setter(bind(Binding.TRACKING)).getter(bind(Binding.TRACKING)).build());
        spec.addOption(OptionSpec.builder("--stream").hidden(true).paramLabel("WHEN").type(String.class)
            .defaultValue(STREAM_DEFAULT).description(STREAM_DESCRIPTION)
            .setter(bind(Binding.STREAM)).getter(bind(Binding.STREAM)).build());
        spec.addOption(OptionSpec.builder("--bulk-limit").paramLabel("SIZE").type(Long.class).converters(sizes)
            .description(BULK_LIMIT_DESCRIPTION).setter(bind(Binding.BULK_LIMIT)).getter(bind(Binding.BULK_LIMIT)).build());
    }

    private Binding bind(final int field)
    {
        return new Binding(this, field);
    }

    /** Reads and writes one option's field by its index (see {@link FieldBinding}). */
    private static final class Binding extends FieldBinding
    {
        static final int MASTER = 0;
        static final int POOL = 1;
        static final int PARTITION = 2;
        static final int CONFIDENCE = 3;
        static final int MAX_PARTITION = 4;
        static final int HISTORY = 5;
        static final int HISTORY_FORMAT = 6;
        static final int COPY_ORDER = 7;
        static final int TRACKING = 8;
        static final int STREAM = 9;
        static final int BULK_LIMIT = 10;

        private final JobOptions options;

        Binding(final JobOptions options, final int field)
        {
            super(field);
            this.options = options;
        }

        @Override
        Object read(final int field)
        {
            return switch (field)
            {
                case MASTER -> options.master;
                case POOL -> options.pool;
                case PARTITION -> options.partition;
                case CONFIDENCE -> options.confidence;
                case MAX_PARTITION -> options.maxPartitionBytes;
                case HISTORY -> options.history;
                case HISTORY_FORMAT -> options.historyFormat;
                case COPY_ORDER -> options.copyOrder;
                case TRACKING -> options.tracking;
                case STREAM -> options.stream;
                default -> options.bulkLimitBytesPerSecond;
            };
        }

        @Override
        void write(final int field, final Object value)
        {
            switch (field)
            {
                case MASTER -> options.master = (Path)value;
                case POOL -> options.pool = (Path)value;
                case PARTITION -> options.partition = (String)value;
                case CONFIDENCE -> options.confidence = (Double)value;
                case MAX_PARTITION -> options.maxPartitionBytes = (Long)value;
                case HISTORY -> options.history = (Path)value;
                case HISTORY_FORMAT -> options.historyFormat = (String)value;
                case COPY_ORDER -> options.copyOrder = (String)value;
                case TRACKING -> options.tracking = (String)value;
                case STREAM -> options.stream = (String)value;
                default -> options.bulkLimitBytesPerSecond = (Long)value;
            }
        }
    }

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
