package io.presync.stream;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockTapTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    record Seen(long seq, long time, WriteOp op, long offset, long length, long count)
    {
    }

    static final class Collector implements WriteEventHandler
    {
        final List<Seen> events = new ArrayList<>();

        @Override
        public void onEvent(final WriteEvent e)
        {
            events.add(new Seen(e.sequence(), e.timeNanos(), e.op(), e.offsetBytes(), e.lengthBytes(), e.lostCount()));
        }

        /** Union of byte ranges of one op, as start → end. */
        TreeMap<Long, Long> union(final WriteOp op)
        {
            final TreeMap<Long, Long> ranges = new TreeMap<>();
            events.stream().filter(s -> s.op() == op).sorted((a, b) -> Long.compare(a.offset(), b.offset())).forEach(s ->
            {
                final var last = ranges.lastEntry();
                if (last != null && last.getValue() >= s.offset())
                {
                    ranges.put(last.getKey(), Math.max(last.getValue(), s.offset() + s.length()));
                }
                else
                {
                    ranges.put(s.offset(), s.offset() + s.length());
                }
            });
            return ranges;
        }
    }

    @AfterEach
    void noInstanceLeft() throws IOException
    {
        final Path instances = TraceFs.DEFAULT_ROOT.resolve("instances");
        if (Files.isDirectory(instances))
        {
            try (var list = Files.list(instances))
            {
                final long pid = ProcessHandle.current().pid();
                assertFalse(list.anyMatch(p -> p.getFileName().toString().startsWith("presync-" + pid)),
                    "a presync trace instance of this process was left behind");
            }
        }
    }

    @Test
    void tapsDdWritesAndDiscards() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final Collector collector = new Collector();
        try (BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options()))
        {
            assertTrue(Files.isDirectory(tap.instance()));
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + loop.path(), "bs=4k", "count=2", "seek=10", "oflag=direct", "status=none");
            LoopDevices.run("dd", "if=/dev/urandom", "of=" + loop.path(), "bs=64k", "count=1", "seek=100", "oflag=direct", "status=none");
            LoopDevices.run("blkdiscard", "-o", "1048576", "-l", "65536", loop.path());
            LoopDevices.run("blkdiscard", "-z", "-o", "2097152", "-l", "131072", loop.path());
            tap.drain(collector, TimeUnit.SECONDS.toNanos(5));
        }
        System.out.println(collector.events);
        final TreeMap<Long, Long> writes = collector.union(WriteOp.WRITE);
        assertEquals(new TreeMap<>(java.util.Map.of(40960L, 49152L, 6553600L, 6619136L)), writes);
        assertEquals(new TreeMap<>(java.util.Map.of(1048576L, 1114112L)), collector.union(WriteOp.DISCARD));
        assertEquals(new TreeMap<>(java.util.Map.of(2097152L, 2228224L)), collector.union(WriteOp.WRITE_ZEROES));
        for (int i = 0; i < collector.events.size(); i++)
        {
            assertEquals(i + 1, collector.events.get(i).seq());
        }
    }
}
