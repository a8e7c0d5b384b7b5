package io.presync.replicate;

import io.presync.RefusedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --history FILE} for plan and replicate: what it reads, and the sentences it refuses a wrong file with. */
class HistoryLoadTest
{
    @TempDir
    Path dir;

    @Test
    void aCloudPhysicsTraceGivesItsNewBytesPerMinute() throws IOException
    {
        // Two 4 KiB writes of new blocks in the first minute, one overwrite of the first in the second.
        final Path trace = write("trace.csv", "version,time,op,size,lbn\n1,0,2a,4096,0\n1,10,2a,4096,8\n1,70,2a,4096,0\n");
        final History history = History.load(trace, null, null);
        assertEquals(History.TRACE_INTERVAL_SECONDS, history.intervalSeconds());
        assertEquals(8192.0, Arrays.stream(history.newBytes()).sum(), "new bytes only, the overwrite is not growth");
        assertEquals(8192.0, history.newBytes()[0]);
    }

    @Test
    void aMalformedLineIsRefusedNamingFileAndLine() throws IOException
    {
        final Path trace = write("bad.csv", "version,time,op,size,lbn\n1,5,2a,512,42\n1,6,2a,oops,43\n");
        final RefusedException refused = assertThrows(RefusedException.class, () -> History.load(trace, null, null));
        assertTrue(refused.getMessage().startsWith(trace + ":3: "), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("with 'presync trace aggregate --skip-bad' and pass the series CSV it writes"),
            "advice that works for --history, which has no --skip-bad: " + refused.getMessage());
    }

    @Test
    void aFileOfAnotherKindIsRefusedInsteadOfReadAsNoHistory() throws IOException
    {
        // Guessed as blkparse, whose reader ignores lines with a colon (its summaries): before, zero buckets, silently.
        final Path passwd = write("passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
        final RefusedException refused = assertThrows(RefusedException.class, () -> History.load(passwd, null, null));
        assertEquals("history " + passwd + " holds no block I/O in its 2 lines read as blkparse (guessed from its first line); " +
            "give a blkparse, cloudphysics or msr trace, a series CSV or a write log, with --history-format naming its format",
            refused.getMessage());
    }

    @Test
    void aReadOnlyTraceIsHistoryWithoutGrowthNotARefusal() throws IOException
    {
        final Path reads = write("reads.csv", "version,time,op,size,lbn\n1,0,28,4096,0\n1,70,28,4096,8\n");
        assertEquals(0.0, Arrays.stream(History.load(reads, "cloudphysics", null).newBytes()).sum());
    }

    @Test
    void theFormatIsGuessedFromTheFirstLine() throws IOException
    {
        assertEquals("series", History.guess(write("a.csv", "ts_us,new_bytes\n1000000,5\n")));
        assertEquals("cloudphysics", History.guess(write("b.csv", "version,time,op,size,lbn\n")));
        assertEquals("cloudphysics", History.guess(write("c.csv", "1,5633898,2a,512,42932745\n")));
        assertEquals("msr", History.guess(write("d.csv", "128166372003061629,wdev,0,Write,3154258432,4096,2130\n")));
        assertEquals("blkparse", History.guess(write("e.txt", "  8,0    3       12     0.000470304  697  C  WS 223490 + 8 [0]\n")));
        assertEquals("log", History.guess(Files.createDirectory(dir.resolve("log"))));
    }

    private Path write(final String name, final String text) throws IOException
    {
        return Files.writeString(dir.resolve(name), text);
    }
}
