package io.presync.cli;

import io.presync.device.BlockDevice;
import io.presync.device.OpenOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/** {@code presync device ...}: facts about block devices. */
@Command(
    name = "device",
    mixinStandardHelpOptions = true,
    description = "Shows facts about block devices.",
    subcommands = {DeviceCommand.Info.class})
public final class DeviceCommand implements Runnable
{
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run()
    {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required (info)");
    }

    /**
     * {@code presync device info DEV [--json]}: size, sector sizes, discard and write-zeroes limits,
     * and for loop devices the backing file and its allocated bytes. Opens the device read-only and
     * not exclusively, so it works on mounted and busy devices.
     */
    @Command(
        name = "info",
        mixinStandardHelpOptions = true,
        description = "Prints size, sector sizes, discard and write-zeroes limits, and for loop devices "
            + "the backing file and its allocated bytes.")
    static final class Info implements Callable<Integer>
    {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DEV", description = "The block device, e.g. /dev/loop0.")
        Path device;

        @Option(names = "--json", description = "Print one JSON object instead of aligned lines.")
        boolean json;

        @Override
        public Integer call() throws Exception
        {
            final PrintWriter out = spec.commandLine().getOut();
            try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forReading()))
            {
                final OptionalLong allocated = dev.allocatedBytes();
                final String backing = dev.backingFile().map(Path::toString).orElse(null);
                if (json)
                {
                    out.println(new Json()
                        .field("path", device.toString())
                        .field("sizeBytes", dev.sizeBytes())
                        .field("logicalSectorBytes", dev.logicalSectorBytes())
                        .field("physicalSectorBytes", dev.physicalSectorBytes())
                        .field("discardGranularityBytes", dev.discardGranularityBytes())
                        .field("discardMaxBytes", dev.discardMaxBytes())
                        .field("writeZeroesMaxBytes", dev.writeZeroesMaxBytes())
                        .field("backingFile", backing)
                        .field("allocatedBytes", allocated.isPresent(), allocated.orElse(0)));
                }
                else
                {
                    line(out, "path", device.toString());
                    line(out, "size", withBytes(dev.sizeBytes()));
                    line(out, "logical sector", SizeConverter.format(dev.logicalSectorBytes()));
                    line(out, "physical sector", SizeConverter.format(dev.physicalSectorBytes()));
                    line(out, "discard granularity", limit(dev.discardGranularityBytes()));
                    line(out, "discard max", limit(dev.discardMaxBytes()));
                    line(out, "write zeroes max", limit(dev.writeZeroesMaxBytes()));
                    line(out, "backing file", backing == null ? "none" : backing);
                    line(out, "allocated", allocated.isPresent() ? withBytes(allocated.getAsLong()) : "unknown");
                }
                out.flush();
            }
            return Main.EXIT_OK;
        }

        private static void line(final PrintWriter out, final String key, final String value)
        {
            out.printf("%-20s %s%n", key + ":", value);
        }

        private static String withBytes(final long bytes)
        {
            return bytes < 1024 ? SizeConverter.format(bytes) : SizeConverter.format(bytes) + " (" + bytes + " bytes)";
        }

        private static String limit(final long bytes)
        {
            return bytes == 0 ? "none (not supported)" : withBytes(bytes);
        }
    }
}
