package io.presync.stream;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Layout of the pages the kernel's ftrace ring buffer hands out through
 * {@code per_cpu/cpuN/trace_pipe_raw} (kernel/trace/ring_buffer.c; field offsets of the header are
 * read from {@code events/header_page}, the event header from {@code events/header_event}).
 *
 * <pre>
 * Page (sub-buffer, buffer_subbuf_size_kb, 4 KiB by default), host byte order:
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  timestamp (u64): time base of the page        |
 *  |                                                                |
 *  +-+-+-----+-----------------------------------------------------+
 *  |E|S|  0  |        commit: bytes of event data (27 bits)         |
 *  +-+-+-----+-----------------------------------------------------+
 *  |                  upper half of commit (local_t), unused        |
 *  +---------------------------------------------------------------+
 *  |  events ... (commit bytes)                                     |
 *  |  [missed-event count u64 when S is set]                        |
 *  +---------------------------------------------------------------+
 *  E = RB_MISSED_EVENTS (bit 31): events were lost before this page.
 *  S = RB_MISSED_STORED (bit 30): their count follows the data, at data + commit.
 *
 * Event: a 32-bit header, then the payload:
 *  +---------+-----------------------------------------------------+
 *  |type_len5|                 time_delta (27 bits)                 |   bits 0..4 | 5..31
 *  +---------+-----------------------------------------------------+
 *  type_len 1..28: payload of 4 * type_len bytes follows the header
 *  type_len 0:     u32 array[0] = payload bytes + 4, then the payload
 *  type_len 29:    padding (a discarded event); time_delta 0 means "rest of page is empty",
 *                  else u32 array[0] = bytes after the header
 *  type_len 30:    time extend: delta = array[0] &lt;&lt; 27 | time_delta, added to the clock; 8 bytes
 *  type_len 31:    absolute time stamp: time = array[0] &lt;&lt; 27 | time_delta; 8 bytes
 *  Each data event's time is the running clock plus its time_delta; padding leaves the clock alone.
 * </pre>
 */
final class RingBufferPageDescriptor
{
    static final int TYPE_LEN_MASK = 0x1F;
    static final int TIME_DELTA_SHIFT = 5;
    static final int TS_SHIFT = 27;
    static final int MAX_DATA_TYPE_LEN = 28;
    static final int TYPE_PADDING = 29;
    static final int TYPE_TIME_EXTEND = 30;
    static final int TYPE_TIME_STAMP = 31;
    static final int EVENT_HEADER_BYTES = 4;
    static final int ALIGNMENT = 4;

    static final long MISSED_EVENTS = 1L << 31;
    static final long MISSED_STORED = 1L << 30;
    static final long COMMIT_MASK = (1L << 27) - 1;
    static final long ABSOLUTE_TS_MASK = (1L << 59) - 1;

    /** Offsets of one page's header fields on this kernel, from {@code events/header_page}. */
    record Layout(int timestampOffset, int commitOffset, int commitBytes, int dataOffset)
    {
        /** The layout every 64-bit kernel since 2.6.3x uses; also the fallback for tests. */
        static final Layout DEFAULT_64 = new Layout(0, 8, 8, 16);
    }

    private RingBufferPageDescriptor()
    {
    }

    /**
     * Reads {@code events/header_page} and {@code events/header_event} and checks that they describe
     * the format this parser understands.
     */
    static Layout readLayout(final Path tracefsRoot) throws IOException
    {
        final String page = TraceFs.read(tracefsRoot.resolve("events/header_page"));
        final String event = TraceFs.read(tracefsRoot.resolve("events/header_event"));
        final EventFormat.Field timestamp = fieldOf(page, "timestamp");
        final EventFormat.Field commit = fieldOf(page, "commit");
        final EventFormat.Field data = fieldOf(page, "data");
        if (timestamp == null || commit == null || data == null || timestamp.size() != 8)
        {
            throw new TapUnavailableException(
                "events/header_page of this kernel has an unknown layout, so the ring buffer pages cannot be parsed.");
        }
        if (!event.contains("type_len    :    5 bits") || !event.contains("time_delta  :   27 bits"))
        {
            throw new TapUnavailableException(
                "events/header_event of this kernel has an unknown layout, so the ring buffer events cannot be parsed.");
        }
        return new Layout(timestamp.offset(), commit.offset(), commit.size(), data.offset());
    }

    private static EventFormat.Field fieldOf(final String text, final String name)
    {
        // 	field: local_t commit;	offset:8;	size:8;	signed:1;
        for (final String rawLine : text.split("\n"))
        {
            final String line = rawLine.strip();
            if (!line.startsWith("field:"))
            {
                continue;
            }
            final String[] parts = line.split(";");
            String declaration = parts[0].strip();
            final int bracket = declaration.indexOf('[');
            if (bracket >= 0)
            {
                declaration = declaration.substring(0, bracket);
            }
            if (!declaration.endsWith(" " + name))
            {
                continue;
            }
            int offset = -1;
            int size = -1;
            for (int i = 1; i < parts.length; i++)
            {
                final String part = parts[i].strip();
                if (part.startsWith("offset:"))
                {
                    offset = Integer.parseInt(part.substring(7));
                }
                else if (part.startsWith("size:"))
                {
                    size = Integer.parseInt(part.substring(5));
                }
            }
            if (offset >= 0 && size > 0)
            {
                return new EventFormat.Field(name, offset, size, false);
            }
        }
        return null;
    }
}
