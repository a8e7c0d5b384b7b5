package io.presync.cli;

import io.presync.ByteSizes;
import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.device.DeviceCopy;
import io.presync.device.OpenOptions;
import io.presync.ffi.FileStatus;
import io.presync.ffi.Libc;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code presync copy --from DEV --to DEV [--queue-depth N] [--chunk SIZE]}: copies a whole device
 * onto another through io_uring ({@link DeviceCopy}), O_DIRECT on both sides, then fsyncs the
 * destination. The source is opened read-only (it may be mounted); the destination exclusively,
 * and it must not be mounted or in use, nor the source itself or one of its partitions.
 */
@Command(
    name = "copy",
    mixinStandardHelpOptions = true,
    description = CopyCommand.DESCRIPTION)
public final class CopyCommand implements Callable<Integer>
{
    static final String DESCRIPTION = "Copies a whole block device onto another through io_uring (O_DIRECT, pipelined).";
    static final String FROM_DESCRIPTION = "The device to read.";
    static final String TO_DESCRIPTION = "The device to overwrite (at least as large as --from; not mounted or in use).";
    static final String QUEUE_DEPTH_DEFAULT = "4";
    static final String QUEUE_DEPTH_DESCRIPTION = "Chunks in flight (default ${DEFAULT-VALUE}).";
    static final String CHUNK_DEFAULT = "8M";
    static final String CHUNK_DESCRIPTION =
        "Bytes per read and write, a multiple of the sector size (default ${DEFAULT-VALUE}).";


    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "DEV", description = FROM_DESCRIPTION)
    Path from;

    @Option(names = "--to", required = true, paramLabel = "DEV", description = TO_DESCRIPTION)
    Path to;

    @Option(names = "--queue-depth", paramLabel = "N", defaultValue = QUEUE_DEPTH_DEFAULT,
        description = QUEUE_DEPTH_DESCRIPTION)
    int queueDepth;

    @Option(names = "--chunk", paramLabel = "SIZE", defaultValue = CHUNK_DEFAULT, converter = SizeConverter.class,
        description = CHUNK_DESCRIPTION)
    long chunkBytes;

    /**
     * This command's picocli model built in code, the same as picocli derives from the annotations above
     * (CopyCommandModelTest compares the two: usage help and parsing). Deriving it means parsing
     * annotations, which the JDK does through dynamic proxy classes that no AOT cache holds: some 60 ms
     * of the start-up of {@code presync copy}, whose whole point is to be quick (see Main#commandLineFor).
     */
    static CommandLine.Model.CommandSpec model()
    {
        final CopyCommand command = new CopyCommand();
        final CommandLine.Model.CommandSpec spec = CommandLine.Model.CommandSpec.wrapWithoutInspection(command);
        command.spec = spec;
        spec.name("copy");
        spec.usageMessage().description(DESCRIPTION);
        Main.addStandardHelpOptions(spec);
        spec.addOption(CommandLine.Model.OptionSpec.builder("--from").required(true).paramLabel("DEV").type(Path.class)
            .converters(new PathConverter()).description(FROM_DESCRIPTION).setter(new Binding(command, Binding.FROM))
            .getter(new Binding(command, Binding.FROM)).build());
        spec.addOption(CommandLine.Model.OptionSpec.builder("--to").required(true).paramLabel("DEV").type(Path.class)
            .converters(new PathConverter()).description(TO_DESCRIPTION).setter(new Binding(command, Binding.TO))
            .getter(new Binding(command, Binding.TO)).build());
        // Initial values as the fields': picocli resets every option to it before parsing.
        spec.addOption(CommandLine.Model.OptionSpec.builder("--queue-depth").paramLabel("N").type(int.class)
            .initialValue(0).defaultValue(QUEUE_DEPTH_DEFAULT).description(QUEUE_DEPTH_DESCRIPTION)
            .setter(new Binding(command, Binding.QUEUE_DEPTH)).getter(new Binding(command, Binding.QUEUE_DEPTH)).build());
        spec.addOption(CommandLine.Model.OptionSpec.builder("--chunk").paramLabel("SIZE").type(long.class)
            .converters(new SizeConverter()).initialValue(0L).defaultValue(CHUNK_DEFAULT).description(CHUNK_DESCRIPTION)
            .setter(new Binding(command, Binding.CHUNK)).getter(new Binding(command, Binding.CHUNK)).build());
        return spec;
    }

    /** Reads and writes one option's field by its index (see {@link FieldBinding}). */
    private static final class Binding extends FieldBinding
    {
        static final int FROM = 0;
        static final int TO = 1;
        static final int QUEUE_DEPTH = 2;
        static final int CHUNK = 3;

        private final CopyCommand command;

        Binding(final CopyCommand command, final int field)
        {
            super(field);
            this.command = command;
        }

        @Override
        Object read(final int field)
        {
            return switch (field)
            {
                case FROM -> command.from;
                case TO -> command.to;
                case QUEUE_DEPTH -> command.queueDepth;
                default -> command.chunkBytes;
            };
        }

        @Override
        void write(final int field, final Object value)
        {
            switch (field)
            {
                case FROM -> command.from = (Path)value;
                case TO -> command.to = (Path)value;
                case QUEUE_DEPTH -> command.queueDepth = (Integer)value;
                default -> command.chunkBytes = (Long)value;
            }
        }
    }

    @Override
    public Integer call() throws Exception
    {
        Timeline.mark("copy: arguments parsed");
        if (queueDepth < 1 || queueDepth > DeviceCopy.MAX_QUEUE_DEPTH)
        {
            throw new RefusedException("--queue-depth " + queueDepth + " is not valid; use 1 to " +
                DeviceCopy.MAX_QUEUE_DEPTH + " (default " + DeviceCopy.DEFAULT_QUEUE_DEPTH + ")");
        }
        if (chunkBytes <= 0)
        {
            throw new RefusedException("--chunk " + chunkBytes + " is not valid; use a positive multiple of the " +
                "sector size, for example 1M");
        }
        refuseSameDevice();
        Timeline.mark("copy: stat both");

        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try (BlockDevice source = open(from, OpenOptions.forReading(), "copy: source opened");
             BlockDevice destination = open(to, OpenOptions.forWriting(), "copy: destination opened"))
        {
            if (BlockDevice.overlap(source, destination))
            {
                throw new RefusedException(from + " and " + to + " overlap (one is a partition of the other); " +
                    "choose two separate devices");
            }
            if (destination.sizeBytes() < source.sizeBytes())
            {
                throw new RefusedException(to + " (" + SizeConverter.format(destination.sizeBytes()) + ") is smaller than " +
                    from + " (" + SizeConverter.format(source.sizeBytes()) + "); choose a destination of at least " +
                    SizeConverter.format(source.sizeBytes()));
            }
            final int sector = Math.max(source.logicalSectorBytes(), destination.logicalSectorBytes());
            if (chunkBytes % sector != 0)
            {
                throw new RefusedException("--chunk " + chunkBytes + " is not a multiple of the " + sector +
                    "-byte sector size of the devices; use for example 1M");
            }
            final boolean showProgress = Main.onTerminal();
            final long start = System.nanoTime();
            try (DeviceCopy copy = DeviceCopy.create(source, destination, queueDepth, chunkBytes))
            {
                Timeline.mark("copy: ring and buffers set up");
                copy.copyAll(showProgress ? (done, total) -> TerminalProgress.line(err, "copy", done, total, start) : null);
                Timeline.mark("copy: data copied");
            }
            Timeline.mark("copy: ring and buffers freed");
            destination.flush();
            Timeline.mark("copy: destination flushed");
            final double seconds = (System.nanoTime() - start) / 1e9;
            if (showProgress)
            {
                TerminalProgress.clear(err);
            }
            out.print(report(source.sizeBytes(), from, to, seconds));
            out.flush();
            Timeline.mark("copy: report printed");
        }
        Timeline.mark("copy: devices closed");
        return Main.EXIT_OK;
    }

    private static BlockDevice open(final Path path, final OpenOptions options, final String mark) throws IOException
    {
        final BlockDevice device = BlockDevice.open(path, options);
        Timeline.mark(mark);
        return device;
    }

    /**
     * {@code copied 1 GiB from A to B in 0.42 s (2.4 GiB/s)} and a newline, as
     * {@code printf("copied %s from %s to %s in %.2f s (%s/s)%n")} with {@link SizeConverter#format} would
     * print it, without java.util.Formatter: its first floating-point conversion loads the JDK's locale
     * data, about 10 ms of a one-second copy's process.
     */
    static String report(final long bytes, final Path from, final Path to, final double seconds)
    {
        return "copied " + SizeConverter.format(bytes) + " from " + from + " to " + to + " in " + ByteSizes.decimal(seconds, 2) +
            " s (" + ByteSizes.format((long)(bytes / Math.max(seconds, 1e-9))) + "/s)" + System.lineSeparator();
    }

    private void refuseSameDevice() throws IOException
    {
        try
        {
            final FileStatus a = Libc.stat(from.toString());
            final FileStatus b = Libc.stat(to.toString());
            if (a.isBlockDevice() && b.isBlockDevice() && a.rdev() == b.rdev())
            {
                throw new RefusedException("--from " + from + " and --to " + to + " are the same device; " +
                    "choose two different devices");
            }
        }
        catch (final NoSuchFileException ex)
        {
            // BlockDevice.open says which one is missing, in its own words.
        }
    }
}
