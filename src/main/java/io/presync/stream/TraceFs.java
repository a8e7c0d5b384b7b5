package io.presync.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * tracefs plumbing: mounting, our own trace instances ({@code instances/presync-PID[-N]}, so the
 * global buffer and other tracers are never touched), control-file writes and per-CPU statistics.
 */
final class TraceFs
{
    static final Path DEFAULT_ROOT = Path.of("/sys/kernel/tracing");
    static final String INSTANCE_PREFIX = "presync-";
    private static final Pattern INSTANCE_NAME = Pattern.compile("presync-(\\d+)(?:-\\d+)?");
    private static final AtomicInteger NEXT_INSTANCE = new AtomicInteger();

    private TraceFs()
    {
    }

    /** Mounts tracefs at {@code root} when it is not mounted; throws when that is impossible. */
    static void ensureMounted(final Path root) throws IOException
    {
        if (Files.isDirectory(root.resolve("instances")))
        {
            return;
        }
        if (!Files.isDirectory(root))
        {
            throw new TapUnavailableException(root + " does not exist, so this kernel has no tracefs; " +
                "the block tap needs a kernel built with CONFIG_FTRACE and CONFIG_BLK_DEV_IO_TRACE.");
        }
        final String failure = run("mount", "-t", "tracefs", "nodev", root.toString());
        if (failure != null || !Files.isDirectory(root.resolve("instances")))
        {
            throw new TapUnavailableException("tracefs is not mounted at " + root + " and mounting it failed (" +
                (failure == null ? "no instances directory" : failure) +
                "); run as root or mount it with 'mount -t tracefs nodev " + root + "'.");
        }
    }

    /** Removes {@code presync-PID} instances whose process is gone; returns how many. */
    static int removeStaleInstances(final Path root) throws IOException
    {
        int removed = 0;
        final Path instances = root.resolve("instances");
        final List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(instances, INSTANCE_PREFIX + "*"))
        {
            for (final Path dir : dirs)
            {
                final Matcher m = INSTANCE_NAME.matcher(dir.getFileName().toString());
                if (m.matches() && !Files.exists(Path.of("/proc", m.group(1))))
                {
                    stale.add(dir);
                }
            }
        }
        for (final Path dir : stale)
        {
            try
            {
                removeInstance(dir);
                removed++;
            }
            catch (final IOException ex)
            {
                // Another process may be removing it at the same time; it is not ours to insist on.
            }
        }
        return removed;
    }

    /** Creates a fresh instance of our own and returns its directory. */
    static Path createInstance(final Path root) throws IOException
    {
        final long pid = ProcessHandle.current().pid();
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            final int n = NEXT_INSTANCE.getAndIncrement();
            final Path dir = root.resolve("instances").resolve(INSTANCE_PREFIX + pid + (n == 0 ? "" : "-" + n));
            if (Files.exists(dir))
            {
                continue;
            }
            try
            {
                Files.createDirectory(dir);
                return dir;
            }
            catch (final java.nio.file.FileAlreadyExistsException ex)
            {
                // Raced with another tap in this process: take the next number.
            }
            catch (final java.nio.file.AccessDeniedException ex)
            {
                throw new TapUnavailableException("creating the trace instance " + dir +
                    " was refused (permission denied); run the tap as root.");
            }
        }
        throw new IOException("mkdir " + root.resolve("instances") + "/" + INSTANCE_PREFIX + pid + "-N failed: no free name");
    }

    /** Disables every event of the instance and removes it; idempotent. */
    static void removeInstance(final Path instance) throws IOException
    {
        if (!Files.exists(instance))
        {
            return;
        }
        try
        {
            write(instance.resolve("events/enable"), "0");
        }
        catch (final IOException ex)
        {
            // Removal below still frees the buffer.
        }
        IOException last = null;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                Files.delete(instance);
                return;
            }
            catch (final NoSuchFileException ex)
            {
                return;
            }
            catch (final IOException ex)
            {
                // EBUSY while a reader still holds one of its files open: wait for it to let go.
                last = ex;
                try
                {
                    Thread.sleep(20);
                }
                catch (final InterruptedException ie)
                {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new IOException("rmdir " + instance + " failed: " + (last == null ? "interrupted" : last.getMessage()), last);
    }

    /** Writes a control file in one write call, as tracefs requires; errors name the file and value. */
    static void write(final Path file, final String value) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.wrap(value.getBytes(StandardCharsets.US_ASCII));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            while (bytes.hasRemaining())
            {
                channel.write(bytes);
            }
        }
        catch (final IOException ex)
        {
            throw new IOException("write '" + value + "' to " + file + " failed: " + ex.getMessage(), ex);
        }
    }

    /**
     * Reads a whole tracefs file. Not {@code Files.readString}: tracefs files report a size that is
     * not their length and some return one line per read, so read until end of file.
     */
    static String read(final Path file) throws IOException
    {
        try (var in = Files.newInputStream(file))
        {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** Per-CPU directories of an instance ({@code per_cpu/cpuN}), indexed by N; null for absent CPUs. */
    static Path[] perCpuDirs(final Path instance) throws IOException
    {
        final List<Path> dirs = new ArrayList<>();
        int max = -1;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(instance.resolve("per_cpu"), "cpu*"))
        {
            for (final Path dir : stream)
            {
                dirs.add(dir);
                max = Math.max(max, Integer.parseInt(dir.getFileName().toString().substring(3)));
            }
        }
        final Path[] byCpu = new Path[max + 1];
        for (final Path dir : dirs)
        {
            byCpu[Integer.parseInt(dir.getFileName().toString().substring(3))] = dir;
        }
        return byCpu;
    }

    /** Counters of one CPU's {@code stats} file that matter to us. */
    record CpuStats(long entries, long lost)
    {
    }

    /**
     * Reads {@code per_cpu/cpuN/stats}: {@code entries} (events not yet read) and the loss counters
     * {@code overrun} (overwritten), {@code commit overrun} and {@code dropped events} (refused when
     * the buffer is not in overwrite mode), summed.
     */
    static CpuStats readStats(final Path cpuDir) throws IOException
    {
        long entries = 0;
        long lost = 0;
        for (final String line : read(cpuDir.resolve("stats")).split("\n"))
        {
            final int colon = line.indexOf(':');
            if (colon < 0)
            {
                continue;
            }
            final String key = line.substring(0, colon).strip();
            if (key.equals("entries") || key.equals("overrun") || key.equals("commit overrun") ||
                key.equals("dropped events"))
            {
                final long value = Long.parseLong(line.substring(colon + 1).strip());
                if (key.equals("entries"))
                {
                    entries = value;
                }
                else
                {
                    lost += value;
                }
            }
        }
        return new CpuStats(entries, lost);
    }

    private static String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!process.waitFor(30, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return String.join(" ", command) + " timed out";
            }
            return process.exitValue() == 0 ? null : output.isEmpty() ? "exit code " + process.exitValue() : output;
        }
        catch (final IOException ex)
        {
            return ex.getMessage();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
