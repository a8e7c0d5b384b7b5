package io.presync.ffi;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Compiles native/layout_probe.c with gcc against the installed liburing headers, runs it and parses
 * what it prints: struct sizes, field offsets and sizes, constant values, as C sees them.
 */
public final class LayoutProbe
{
    /** Offset and size of one field. */
    public record Field(long offset, long size)
    {
    }

    public final Map<String, Long> sizes = new HashMap<>();
    public final Map<String, Field> fields = new HashMap<>();
    public final Map<String, Long> constants = new HashMap<>();

    private static LayoutProbe cached;

    private LayoutProbe()
    {
    }

    /** Runs the probe once per JVM; skips the calling test when gcc or the headers are missing. */
    public static synchronized LayoutProbe run() throws IOException, InterruptedException
    {
        if (cached != null)
        {
            return cached;
        }
        Assumptions.assumeTrue(onPath("gcc"), "gcc is not installed: apt-get install gcc");
        Assumptions.assumeTrue(Files.exists(Path.of("/usr/include/liburing.h")),
            "liburing headers are not installed: apt-get install liburing-dev");
        final Path source = Path.of(System.getProperty("user.dir"), "native", "layout_probe.c");
        if (!Files.exists(source))
        {
            throw new IOException(source + " is missing: the test must run from the project folder");
        }
        final Path dir = Files.createTempDirectory("presync-layout-probe-");
        try
        {
            final Path binary = dir.resolve("layout_probe");
            exec("gcc", "-std=gnu11", "-Wall", "-Werror", "-o", binary.toString(), source.toString());
            final LayoutProbe probe = new LayoutProbe();
            for (final String line : exec(binary.toString()).split("\n"))
            {
                final String[] parts = line.strip().split(" ");
                switch (parts[0])
                {
                    case "size" -> probe.sizes.put(parts[1], Long.parseLong(parts[2]));
                    case "field" -> probe.fields.put(parts[1], new Field(Long.parseLong(parts[2]), Long.parseLong(parts[3])));
                    case "const" -> probe.constants.put(parts[1], Long.parseLong(parts[2]));
                    case "" ->
                    {
                    }
                    default -> throw new IOException("unexpected probe output: " + line);
                }
            }
            cached = probe;
            return probe;
        }
        finally
        {
            try (var files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    public long size(final String struct)
    {
        final Long size = sizes.get(struct);
        if (size == null)
        {
            throw new IllegalArgumentException("the probe prints no size for " + struct);
        }
        return size;
    }

    public Field field(final String structDotField)
    {
        final Field field = fields.get(structDotField);
        if (field == null)
        {
            throw new IllegalArgumentException("the probe prints no field " + structDotField);
        }
        return field;
    }

    public long constant(final String name)
    {
        final Long value = constants.get(name);
        if (value == null)
        {
            throw new IllegalArgumentException("the probe prints no constant " + name);
        }
        return value;
    }

    private static boolean onPath(final String tool)
    {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
        {
            if (Files.isExecutable(Path.of(dir, tool)))
            {
                return true;
            }
        }
        return false;
    }

    private static String exec(final String... command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0)
        {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " failed:\n" + out);
        }
        return out;
    }
}
