package io.presync.replicate;

import io.presync.cli.Main;
import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import io.presync.pool.PartitionState;
import io.presync.pool.Pool;
import io.presync.uring.Ring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code presync replicate --until-synced --final-verify full|slave|off} on a quiet sparse master: each mode's
 * verdict and partition state, the report's secondsToSynced, and that without growth history the plan
 * skips the rate probe (the conservative buffer does not depend on the rate).
 */
class FinalVerifyTest
{
    private static final long MIB = 1 << 20;

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @BeforeEach
    void needsUring()
    {
        Assumptions.assumeTrue(Ring.unavailableReason() == null, "io_uring unavailable: " + Ring.unavailableReason());
    }

    @Test
    void withoutGrowthHistoryTheUnprobedRatePlansTheSameSize()
    {
        final long unit = 1 << 20;
        for (final long base : new long[] {0, 24 * MIB, 3400 * MIB})
        {
            final Plan probed = Planner.plan(Planner.Growth.of(new double[0], 10, 0.95, base, unit), base, 8192 * MIB, 500e6, 0, unit);
            final Planner.Growth growth = Planner.Growth.of(new double[0], 10, 0.95, base, unit);
            assertTrue(!growth.dependsOnHorizon());
            final Plan unprobed = Planner.plan(growth, base, 8192 * MIB, Double.NaN, 0, unit);
            assertEquals(probed.partitionBytes(), unprobed.partitionBytes(), "base " + base);
            assertEquals(probed.growthUpperBytes(), unprobed.growthUpperBytes(), "base " + base);
            assertTrue(unprobed.partitionBytes() >= base, "base " + base);
            assertTrue(Double.isNaN(unprobed.horizonSeconds()));
        }
        final Planner.Growth floored = Planner.Growth.of(new double[0], 10, 0.95, MIB, 1 << 20).withFloor(1e6);
        assertTrue(floored.dependsOnHorizon());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> Planner.plan(floored, MIB, 64 * MIB, Double.NaN, 0, 1 << 20));
    }

    @Test
    void eachModeSaysWhatItCheckedAndOnlyAVerifiedPartitionIsSynced() throws Exception
    {
        final LoopDevices.Loop master = loops.create(64 * MIB);
        try (BlockDevice dev = BlockDevice.open(master.device(), OpenOptions.forWriting()); Arena arena = Arena.ofConfined())
        {
            final MemorySegment buffer = BlockDevice.allocateAligned(arena, 4 * MIB, 4096);
            final Random random = new Random(8);
            for (final long at : new long[] {0, 20 * MIB, 60 * MIB})
            {
                for (long i = 0; i < buffer.byteSize(); i += 8)
                {
                    buffer.set(ValueLayout.JAVA_LONG, i, random.nextLong());
                }
                dev.write(buffer, at);
            }
        }
        final String[][] modes = {{"full", "ok"}, {"slave", "ok (slave only)"}, {"off", "off (--final-verify off)"}};
        for (final String[] mode : modes)
        {
            final LoopDevices.Loop pool = loops.create(128 * MIB);
            Pool.create(pool.device(), Pool.CreateOptions.defaults()).close();
            final StringWriter out = new StringWriter();
            final StringWriter err = new StringWriter();
            final String[] args = {"replicate", "--master", master.path(), "--pool", pool.path(), "--partition", "m",
                "--log", loops.folder().resolve("log-" + mode[0]).toString(), "--until-synced", "--json", "--final-verify", mode[0]};
            assertEquals(Main.EXIT_OK, Main.execute(args, new PrintWriter(out), new PrintWriter(err)), out + " " + err);
            final String json = out.toString();
            assertTrue(json.contains("\"verify\": \"" + mode[1] + "\""), json);
            assertTrue(json.contains("\"rateSource\": \"not probed:"), json);
            final Matcher planned = Pattern.compile("\"plannedPartitionBytes\": (\\d+), \"baseBytes\": (\\d+)").matcher(json);
            assertTrue(planned.find(), json);
            assertTrue(Long.parseLong(planned.group(1)) > Long.parseLong(planned.group(2)), json);
            final Matcher synced = Pattern.compile("\"secondsToSynced\": ([0-9.]+)").matcher(json);
            assertTrue(synced.find(), json);
            assertTrue(Double.parseDouble(synced.group(1)) > 0, json);
            try (Pool view = Pool.openReadOnly(pool.device()))
            {
                final PartitionState state = view.partition("m").orElseThrow().state();
                assertEquals(mode[0].equals("off") ? PartitionState.COPYING : PartitionState.SYNCED, state, mode[0]);
            }
            ReplicaFixtures.assertExportEqualsMaster(master, pool.device(), "m", loops.folder().resolve("export-" + mode[0] + ".img"));
            loops.detach(pool);
        }
        // The report as people read it: without a growth history there is no probed rate and no horizon, which it
        // says as the plan does (it printed "planned 0 B/s" and "horizon planned NaN s, refined NaN s").
        final LoopDevices.Loop text = loops.create(128 * MIB);
        Pool.create(text.device(), Pool.CreateOptions.defaults()).close();
        final StringWriter report = new StringWriter();
        assertEquals(Main.EXIT_OK, Main.execute(new String[] {"replicate", "--master", master.path(), "--pool", text.path(),
            "--partition", "m", "--log", loops.folder().resolve("log-text").toString(), "--until-synced", "--final-verify", "slave"},
            new PrintWriter(report), new PrintWriter(new StringWriter())), report.toString());
        assertTrue(report.toString().contains("\nreplicated into partition 'm' in "), report.toString());
        assertTrue(report.toString().matches("(?s).*\n  copy rate not probed: [^\n]*; measured [^\n]*/s; horizon unknown\n.*"),
            report.toString());
        assertTrue(report.toString().contains("verify ok (slave only)"), report.toString());
        assertTrue(!report.toString().contains("NaN"), report.toString());
        loops.detach(text);

        final StringWriter err = new StringWriter();
        final LoopDevices.Loop pool = loops.create(128 * MIB);
        assertEquals(2, Main.execute(new String[] {"replicate", "--master", master.path(), "--pool", pool.path(), "--until-synced",
            "--final-verify", "master"}, new PrintWriter(new StringWriter()), new PrintWriter(err)));
        assertTrue(err.toString().contains("--final-verify master is unknown; give full, slave or off"), err.toString());
    }
}
