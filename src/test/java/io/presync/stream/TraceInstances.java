package io.presync.stream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Test check shared by the tap's and the replication job's tests: what a test made in tracefs is gone again. */
public final class TraceInstances
{
    private TraceInstances()
    {
    }

    /** Asserts that no trace instance of this process ({@code presync-PID} or {@code presync-PID-N}) is left in tracefs. */
    public static void assertNoneOfThisProcess() throws IOException
    {
        final Path instances = TraceFs.DEFAULT_ROOT.resolve("instances");
        if (!Files.isDirectory(instances))
        {
            return;
        }
        final Pattern ours = Pattern.compile(TraceFs.INSTANCE_PREFIX + ProcessHandle.current().pid() + "(-\\d+)?");
        try (var list = Files.list(instances))
        {
            final List<String> left = list.map(p -> p.getFileName().toString()).filter(n -> ours.matcher(n).matches()).toList();
            assertEquals(List.of(), left, "trace instances of this process left behind");
        }
    }
}
