package io.presync.device;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JUnit 5 extension that attaches loop devices over sparse files in a temporary folder and always
 * detaches them after each test, whether it passed or failed (and from a shutdown hook if the JVM is
 * torn down mid-test).
 *
 * <pre>{@code
 * @RegisterExtension final LoopDevices loops = new LoopDevices();
 * ...
 * LoopDevices.Loop master = loops.create(64 << 20);
 * }</pre>
 *
 * Needs root and {@code losetup}; without them a test that asks for a device is skipped with the
 * reason, which on this project's CI never happens.
 */
public final class LoopDevices implements BeforeEachCallback, AfterEachCallback
{
    /** A loop device and the sparse file behind it. */
    public record Loop(Path device, Path backingFile)
    {
        public String path()
        {
            return device.toString();
        }

        /** Allocated bytes of the backing file ({@code stat -c %b} times 512). */
        public long allocatedBytes() throws IOException
        {
            return Long.parseLong(run("stat", "-c", "%b", backingFile.toString()).strip()) * 512L;
        }
    }

    private static final List<Loop> LIVE = Collections.synchronizedList(new ArrayList<>());

    static
    {
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            synchronized (LIVE)
            {
                for (final Loop loop : LIVE)
                {
                    detachQuietly(loop);
                }
                LIVE.clear();
            }
        }, "loop-device-cleanup"));
    }

    private final List<Loop> mine = new ArrayList<>();
    private Path folder;

    @Override
    public void beforeEach(final ExtensionContext context) throws IOException
    {
        folder = Files.createTempDirectory("presync-loop-");
    }

    @Override
    public void afterEach(final ExtensionContext context) throws IOException
    {
        detachAll();
        if (folder != null)
        {
            try (var files = Files.walk(folder))
            {
                files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            folder = null;
        }
    }

    /** The temporary folder of the current test (deleted after it). */
    public Path folder()
    {
        return folder;
    }

    /** Attaches a new loop device over a sparse file of {@code sizeBytes} (512-byte sectors). */
    public Loop create(final long sizeBytes) throws IOException
    {
        return create(sizeBytes, 512);
    }

    /** Attaches a new loop device with the given logical sector size (512 or 4096). */
    public Loop create(final long sizeBytes, final int sectorBytes) throws IOException
    {
        final Path file = Files.createTempFile(folder(), "backing-", ".img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.setLength(sizeBytes);
        }
        return attach(file, sectorBytes);
    }

    /** Attaches a loop device over an existing file. */
    public Loop attach(final Path file, final int sectorBytes) throws IOException
    {
        Assumptions.assumeTrue(isRoot(), "loop-device tests need root");
        Assumptions.assumeTrue(Files.exists(Path.of("/dev/loop-control")), "the kernel has no loop device support");
        final String device = run("losetup", "--find", "--show", "--direct-io=off",
            "--sector-size", Integer.toString(sectorBytes), file.toString()).strip();
        final Loop loop = new Loop(Path.of(device), file);
        mine.add(loop);
        LIVE.add(loop);
        return loop;
    }

    /** Detaches one device now (for tests of a device vanishing); idempotent. */
    public void detach(final Loop loop)
    {
        if (mine.remove(loop))
        {
            LIVE.remove(loop);
            detachQuietly(loop);
        }
    }

    private void detachAll()
    {
        for (final Loop loop : new ArrayList<>(mine))
        {
            detach(loop);
        }
    }

    private static void detachQuietly(final Loop loop)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                run("losetup", "-d", loop.device().toString());
                return;
            }
            catch (final IOException ex)
            {
                // Busy right after a close (udev probing): retry briefly.
                try
                {
                    Thread.sleep(100);
                }
                catch (final InterruptedException ie)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        System.err.println("LoopDevices: could not detach " + loop.device());
    }

    static boolean isRoot()
    {
        try
        {
            return "0".equals(run("id", "-u").strip());
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /** Runs a command, returns its standard output, throws with its standard error on failure. */
    public static String run(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
        try
        {
            final byte[] out = process.getInputStream().readAllBytes();
            final byte[] err = process.getErrorStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            if (process.exitValue() != 0)
            {
                throw new IOException(String.join(" ", command) + " failed: " +
                    new String(err, StandardCharsets.UTF_8).strip());
            }
            return new String(out, StandardCharsets.UTF_8);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ex);
        }
    }
}
