package io.presync.stream;

import io.presync.RefusedException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads block traces recorded elsewhere and hands out the same {@link WriteEvent}s as the tap, so
 * the aggregation and the forecaster do not care where history came from. Sequence numbers are
 * assigned from 1 in file order (the write log keeps its own).
 *
 * <p>Reads are counted in the {@link Summary} and not handed out. A malformed line is refused with
 * a {@link RefusedException} naming file and line, unless {@code skipBad} is set, in which case it
 * is skipped and counted.
 *
 * <ul>
 *   <li><b>blkparse</b> (default output of {@code blkparse -i TRACE}, e.g.
 *       {@code "  8,0    3       12     0.000470304  697  C  WS 223490 + 8 [0]"}): fields device,
 *       CPU, sequence, time (seconds.nanoseconds), pid, action, rwbs, then the action's payload.
 *       Only completions ({@code C}) are events, as with the tap: a request is on the device once it
 *       completed. rwbs is read as the kernel writes it ({@code W} write, {@code D} discard,
 *       {@code N} write-zeroes, {@code F} flush, {@code R} read; a leading {@code F} is a pre-flush).
 *       Other actions (Q, G, I, D, M, m, ...) are ignored. Lines that are blank or contain a colon
 *       (the per-CPU and total summary blkparse prints at the end) are ignored; any other line
 *       is malformed. Events of every device in the file are handed out: give a one-device trace.
 *       Times are relative to the trace start.</li>
 *   <li><b>cloudphysics</b> ({@code version,time,op,size,lbn}; an optional header line starting
 *       with {@code version}): time in whole seconds, op the SCSI opcode in hex (2a WRITE(10), 8a
 *       WRITE(16), aa WRITE(12) are writes; 28, 88, a8 are reads; 35 and 91 SYNCHRONIZE CACHE are
 *       flushes; other opcodes are counted as other and skipped), size in bytes, lbn in 512-byte
 *       sectors.</li>
 *   <li><b>msr</b> (MSR Cambridge, no header): Timestamp in Windows filetime (100 ns since
 *       1601-01-01, converted to the Unix epoch), Type {@code Read} or {@code Write}, Offset and Size
 *       in bytes; Hostname, DiskNumber and ResponseTime are not used.</li>
 *   <li><b>log</b>: our own write log through {@link WriteLogReader}.</li>
 * </ul>
 */
public final class TraceReader
{
    /** Windows filetime of the Unix epoch (100 ns units since 1601-01-01). */
    static final long FILETIME_UNIX_EPOCH = 116_444_736_000_000_000L;

    /**
     * What a read found.
     *
     * @param lines       lines read (0 for a write log)
     * @param events      events handed out
     * @param reads       read requests counted and skipped
     * @param badLines    malformed lines skipped ({@code skipBad})
     * @param otherLines  well-formed lines that are no event (other actions or opcodes, summaries)
     * @param log         the write-log replay result for {@link TraceFormat#LOG}, else null
     */
    public record Summary(long lines, long events, long reads, long badLines, long otherLines, WriteLogReader.Result log)
    {
    }

    private final Path file;
    private final boolean skipBad;
    /** What the refusal of a malformed line advises (when not skipBad). */
    private final String fix;
    private final WriteEventHandler handler;
    private final WriteEvent event = new WriteEvent();
    private final String[] fields = new String[16];
    private long lineNumber;
    private long events;
    private long reads;
    private long badLines;
    private long otherLines;
    private long nextSequence = 1;

    private TraceReader(final Path file, final boolean skipBad, final String fix, final WriteEventHandler handler)
    {
        this.file = file;
        this.skipBad = skipBad;
        this.fix = fix;
        this.handler = handler;
    }

    /**
     * Reads {@code file} in {@code format}, handing every write-side event to {@code handler}; a malformed line is
     * skipped ({@code skipBad}) or refused with the advice to fix it or pass {@code --skip-bad} ({@code presync trace}).
     */
    public static Summary read(final Path file, final TraceFormat format, final boolean skipBad, final WriteEventHandler handler)
        throws IOException
    {
        return read(file, format, skipBad, "fix the line or pass --skip-bad", handler);
    }

    /** As {@link #read(Path, TraceFormat, boolean, WriteEventHandler)}, refusing a malformed line with {@code fix} as the advice. */
    public static Summary read(final Path file, final TraceFormat format, final String fix, final WriteEventHandler handler)
        throws IOException
    {
        return read(file, format, false, fix, handler);
    }

    private static Summary read(final Path file, final TraceFormat format, final boolean skipBad, final String fix,
        final WriteEventHandler handler) throws IOException
    {
        if (!Files.exists(file))
        {
            throw new RefusedException(file + " does not exist; give the path of a " + format.name().toLowerCase() + " trace.");
        }
        if (format == TraceFormat.LOG)
        {
            final WriteLogReader.Result result = WriteLogReader.replay(file, handler);
            return new Summary(0, result.records(), 0, 0, 0, result);
        }
        if (Files.isDirectory(file))
        {
            throw new RefusedException(file + " is a directory; give a " + format.name().toLowerCase() + " trace file.");
        }
        return new TraceReader(file, skipBad, fix, handler).run(format);
    }

    private Summary run(final TraceFormat format) throws IOException
    {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                lineNumber++;
                final String problem = switch (format)
                {
                    case BLKPARSE -> blkparse(line);
                    case CLOUDPHYSICS -> cloudPhysics(line);
                    case MSR -> msr(line);
                    case LOG -> throw new IllegalStateException();
                };
                if (problem != null)
                {
                    if (!skipBad)
                    {
                        throw new RefusedException(file + ":" + lineNumber + ": " + problem + "; " + fix);
                    }
                    badLines++;
                }
            }
        }
        return new Summary(lineNumber, events, reads, badLines, otherLines, null);
    }

    private void emit(final long timeNanos, final WriteOp op, final long offsetBytes, final long lengthBytes) throws IOException
    {
        event.set(nextSequence++, timeNanos, op, offsetBytes, lengthBytes, 1);
        events++;
        handler.onEvent(event);
    }

    /** Splits on a single character into {@link #fields}; returns the field count (capped). */
    private int split(final String line, final char separator)
    {
        int count = 0;
        int start = 0;
        while (true)
        {
            final int at = line.indexOf(separator, start);
            if (count < fields.length)
            {
                fields[count] = (at < 0 ? line.substring(start) : line.substring(start, at)).strip();
            }
            count++;
            if (at < 0)
            {
                return count;
            }
            start = at + 1;
        }
    }

    /** Splits on runs of blanks. */
    private int splitWhitespace(final String line)
    {
        int count = 0;
        int i = 0;
        final int n = line.length();
        while (i < n)
        {
            while (i < n && Character.isWhitespace(line.charAt(i)))
            {
                i++;
            }
            if (i >= n)
            {
                break;
            }
            final int start = i;
            while (i < n && !Character.isWhitespace(line.charAt(i)))
            {
                i++;
            }
            if (count < fields.length)
            {
                fields[count] = line.substring(start, i);
            }
            count++;
        }
        return count;
    }

    private static long number(final String text)
    {
        try
        {
            return Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            return Long.MIN_VALUE;
        }
    }

    private String cloudPhysics(final String line) throws IOException
    {
        if (lineNumber == 1 && line.startsWith("version"))
        {
            otherLines++;
            return null;
        }
        if (line.isBlank())
        {
            otherLines++;
            return null;
        }
        final int n = split(line, ',');
        if (n != 5)
        {
            return "expected 5 comma-separated fields (version,time,op,size,lbn), found " + n;
        }
        final long time = number(fields[1]);
        final long size = number(fields[3]);
        final long lbn = number(fields[4]);
        if (time == Long.MIN_VALUE || time < 0)
        {
            return "field 'time' is not a number of seconds ('" + fields[1] + "')";
        }
        if (size == Long.MIN_VALUE || size < 0)
        {
            return "field 'size' is not a byte count ('" + fields[3] + "')";
        }
        if (lbn == Long.MIN_VALUE || lbn < 0 || lbn > Long.MAX_VALUE / 512)
        {
            return "field 'lbn' is not a sector number ('" + fields[4] + "')";
        }
        final int opcode;
        try
        {
            opcode = Integer.parseInt(fields[2], 16);
        }
        catch (final NumberFormatException ex)
        {
            return "field 'op' is not a hexadecimal SCSI opcode ('" + fields[2] + "')";
        }
        final long timeNanos = time * 1_000_000_000L;
        switch (opcode)
        {
            case 0x2a, 0x8a, 0xaa -> emit(timeNanos, WriteOp.WRITE, lbn * 512, size);
            case 0x28, 0x88, 0xa8 -> reads++;
            case 0x35, 0x91 -> emit(timeNanos, WriteOp.FLUSH, 0, 0);
            default -> otherLines++;
        }
        return null;
    }

    private String msr(final String line) throws IOException
    {
        if (line.isBlank())
        {
            otherLines++;
            return null;
        }
        final int n = split(line, ',');
        if (n != 7)
        {
            return "expected 7 comma-separated fields (Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime), found " + n;
        }
        final long filetime = number(fields[0]);
        final long offset = number(fields[4]);
        final long size = number(fields[5]);
        if (filetime == Long.MIN_VALUE || filetime < FILETIME_UNIX_EPOCH)
        {
            return "field 'Timestamp' is not a Windows filetime after 1970 ('" + fields[0] + "')";
        }
        if (offset == Long.MIN_VALUE || offset < 0)
        {
            return "field 'Offset' is not a byte offset ('" + fields[4] + "')";
        }
        if (size == Long.MIN_VALUE || size < 0)
        {
            return "field 'Size' is not a byte count ('" + fields[5] + "')";
        }
        final String type = fields[3];
        if (type.equalsIgnoreCase("Write"))
        {
            emit((filetime - FILETIME_UNIX_EPOCH) * 100L, WriteOp.WRITE, offset, size);
        }
        else if (type.equalsIgnoreCase("Read"))
        {
            reads++;
        }
        else
        {
            return "field 'Type' must be Read or Write, found '" + type + "'";
        }
        return null;
    }

    private String blkparse(final String line) throws IOException
    {
        if (line.isBlank() || line.indexOf(':') >= 0)
        {
            otherLines++;
            return null;
        }
        final int n = splitWhitespace(line);
        final String shape = "not a blkparse event line (expected 'MAJ,MIN CPU SEQ SECONDS PID ACTION RWBS ...')";
        if (n < 7 || !isDevice(fields[0]) || number(fields[1]) < 0 || number(fields[2]) < 0)
        {
            return shape;
        }
        final long timeNanos = secondsToNanos(fields[3]);
        if (timeNanos < 0)
        {
            return "time '" + fields[3] + "' is not SECONDS.NANOSECONDS";
        }
        if (!fields[5].equals("C"))
        {
            otherLines++;
            return null;
        }
        final String rwbs = fields[6];
        if (n < 8)
        {
            return "completion without a sector (expected 'SECTOR + COUNT [ERROR]')";
        }
        final long sector = number(fields[7]);
        long sectors = 0;
        if (n >= 10 && fields[8].equals("+"))
        {
            sectors = number(fields[9]);
        }
        if (sector == Long.MIN_VALUE || sectors == Long.MIN_VALUE || sectors < 0)
        {
            return "completion range '" + (n >= 10 ? fields[7] + " + " + fields[9] : fields[7]) + "' is not 'SECTOR + COUNT'";
        }
        final WriteOp op = BlockEventDecoder.classify(rwbs, sectors);
        if (op == null)
        {
            if (rwbs.indexOf('R') >= 0)
            {
                reads++;
            }
            else
            {
                otherLines++;
            }
            return null;
        }
        if (op == WriteOp.FLUSH)
        {
            emit(timeNanos, op, 0, 0);
        }
        else
        {
            if (sector < 0)
            {
                return "sector '" + fields[7] + "' is negative";
            }
            emit(timeNanos, op, sector * 512, sectors * 512);
        }
        return null;
    }

    private static boolean isDevice(final String text)
    {
        final int comma = text.indexOf(',');
        return comma > 0 && number(text.substring(0, comma)) >= 0 && number(text.substring(comma + 1)) >= 0;
    }

    /** "12.000470304" → nanoseconds, or -1 when it is not that shape. */
    static long secondsToNanos(final String text)
    {
        final int dot = text.indexOf('.');
        final long seconds = number(dot < 0 ? text : text.substring(0, dot));
        if (seconds < 0)
        {
            return -1;
        }
        long nanos = 0;
        if (dot >= 0)
        {
            final String fraction = text.substring(dot + 1);
            if (fraction.isEmpty() || fraction.length() > 9 || number(fraction) < 0)
            {
                return -1;
            }
            nanos = number(fraction);
            for (int i = fraction.length(); i < 9; i++)
            {
                nanos *= 10;
            }
        }
        return seconds * 1_000_000_000L + nanos;
    }
}
