package io.presync.cli;

import io.presync.device.LoopDevices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceCommandTest
{
    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    /** Runs the CLI in-process; returns {exit code, stdout, stderr}. */
    static Object[] presync(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out), new PrintWriter(err));
        return new Object[] {code, out.toString(), err.toString()};
    }

    @Test
    void infoJsonHasExactlyTheAgreedKeysAndTheDeviceValues() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(48 << 20, 4096);
        LoopDevices.run("dd", "if=/dev/urandom", "of=" + loop.path(), "bs=1M", "count=2", "oflag=direct", "status=none");
        final Object[] result = presync("device", "info", loop.path(), "--json");
        assertEquals(0, result[0], (String)result[2]);
        final String json = ((String)result[1]).strip();
        final Map<String, String> fields = new LinkedHashMap<>();
        final Matcher m = Pattern.compile("\"(\\w+)\": (\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+|null)").matcher(json);
        while (m.find())
        {
            fields.put(m.group(1), m.group(2));
        }
        assertEquals(List.of("path", "sizeBytes", "logicalSectorBytes", "physicalSectorBytes", "discardGranularityBytes",
            "discardMaxBytes", "writeZeroesMaxBytes", "backingFile", "allocatedBytes"), List.copyOf(fields.keySet()));
        assertTrue(json.startsWith("{") && json.endsWith("}"), json);
        assertEquals("\"" + loop.path() + "\"", fields.get("path"));
        assertEquals(Long.toString(48 << 20), fields.get("sizeBytes"));
        assertEquals("4096", fields.get("logicalSectorBytes"));
        assertEquals("\"" + loop.backingFile().toRealPath() + "\"", fields.get("backingFile"));
        assertEquals(Long.toString(loop.allocatedBytes()), fields.get("allocatedBytes"));
        assertEquals(2L << 20, loop.allocatedBytes());
        final String sys = "/sys/class/block/" + loop.device().getFileName() + "/queue/";
        assertEquals(java.nio.file.Files.readString(java.nio.file.Path.of(sys + "write_zeroes_max_bytes")).strip(),
            fields.get("writeZeroesMaxBytes"));
    }

    @Test
    void infoPrintsAlignedLinesWithHumanSizes() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(64 << 20);
        final Object[] result = presync("device", "info", loop.path());
        assertEquals(0, result[0], (String)result[2]);
        final String out = (String)result[1];
        assertTrue(out.contains("size:                64 MiB (67108864 bytes)\n"), out);
        assertTrue(out.contains("logical sector:      512 B\n"), out);
        assertTrue(out.contains("allocated:           0 B\n"), out);
        assertTrue(out.contains("backing file:        " + loop.backingFile().toRealPath()), out);
    }

    @Test
    void infoOnAMissingDeviceIsRefusedWithExitCodeTwo()
    {
        final Object[] result = presync("device", "info", "/dev/no-such-device");
        assertEquals(Main.EXIT_USAGE, result[0]);
        assertEquals("presync: /dev/no-such-device does not exist; check the device path\n", result[2]);
    }
}
