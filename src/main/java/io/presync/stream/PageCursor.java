package io.presync.stream;

import java.nio.ByteBuffer;

import java.nio.ByteOrder;

import static io.presync.stream.RingBufferPageDescriptor.ABSOLUTE_TS_MASK;
import static io.presync.stream.RingBufferPageDescriptor.ALIGNMENT;
import static io.presync.stream.RingBufferPageDescriptor.COMMIT_MASK;
import static io.presync.stream.RingBufferPageDescriptor.EVENT_HEADER_BYTES;
import static io.presync.stream.RingBufferPageDescriptor.MAX_DATA_TYPE_LEN;
import static io.presync.stream.RingBufferPageDescriptor.MISSED_EVENTS;
import static io.presync.stream.RingBufferPageDescriptor.MISSED_STORED;
import static io.presync.stream.RingBufferPageDescriptor.TIME_DELTA_SHIFT;
import static io.presync.stream.RingBufferPageDescriptor.TS_SHIFT;
import static io.presync.stream.RingBufferPageDescriptor.TYPE_LEN_MASK;
import static io.presync.stream.RingBufferPageDescriptor.TYPE_PADDING;
import static io.presync.stream.RingBufferPageDescriptor.TYPE_TIME_EXTEND;
import static io.presync.stream.RingBufferPageDescriptor.TYPE_TIME_STAMP;

/**
 * Walks the data events of one ring-buffer page (see {@link RingBufferPageDescriptor}), keeping the
 * running clock. Reusable: {@link #wrap} resets it for the next page. Allocates nothing.
 */
final class PageCursor
{
    static final ByteOrder HOST = ByteOrder.nativeOrder();

    private final RingBufferPageDescriptor.Layout layout;
    private ByteBuffer page;
    private int position;
    private int end;
    private long clock;
    private boolean missedEvents;
    private long missedCount;
    private int commitBytes;
    private long pageTimestamp;

    private long eventTime;
    private int payloadOffset;
    private int payloadBytes;
    private boolean malformed;

    PageCursor(final RingBufferPageDescriptor.Layout layout)
    {
        this.layout = layout;
    }

    /** Starts on a page of {@code pageBytes} bytes; returns false when the header is impossible. */
    boolean wrap(final ByteBuffer page, final int pageBytes)
    {
        this.page = page;
        malformed = false;
        pageTimestamp = page.getLong(layout.timestampOffset());
        final long commit = layout.commitBytes() == 8 ?
            page.getLong(layout.commitOffset()) : page.getInt(layout.commitOffset()) & 0xFFFF_FFFFL;
        commitBytes = (int)(commit & COMMIT_MASK);
        missedEvents = (commit & MISSED_EVENTS) != 0;
        final int dataOffset = layout.dataOffset();
        if (dataOffset + commitBytes > pageBytes)
        {
            malformed = true;
            position = end = dataOffset;
            return false;
        }
        missedCount = WriteEvent.UNKNOWN_COUNT;
        if (missedEvents && (commit & MISSED_STORED) != 0 && dataOffset + commitBytes + 8 <= pageBytes)
        {
            missedCount = page.getLong(dataOffset + commitBytes);
        }
        clock = pageTimestamp;
        position = dataOffset;
        end = dataOffset + commitBytes;
        return true;
    }

    /** Advances to the next data event; false at the end of the page. */
    boolean next()
    {
        final ByteBuffer page = this.page;
        while (position + EVENT_HEADER_BYTES <= end)
        {
            final int header = page.getInt(position);
            final int typeLen = header & TYPE_LEN_MASK;
            final long delta = (header >>> TIME_DELTA_SHIFT) & ((1L << TS_SHIFT) - 1);
            if (typeLen >= 1 && typeLen <= MAX_DATA_TYPE_LEN)
            {
                final int bytes = typeLen * ALIGNMENT;
                if (position + EVENT_HEADER_BYTES + bytes > end)
                {
                    return truncated();
                }
                clock += delta;
                eventTime = clock;
                payloadOffset = position + EVENT_HEADER_BYTES;
                payloadBytes = bytes;
                position = payloadOffset + bytes;
                return true;
            }
            if (position + 8 > end)
            {
                return truncated();
            }
            final long array0 = page.getInt(position + EVENT_HEADER_BYTES) & 0xFFFF_FFFFL;
            switch (typeLen)
            {
                case 0:
                {
                    // array[0] counts itself plus the payload.
                    final long bytes = array0 - 4;
                    if (bytes < 0 || position + 8 + bytes > end)
                    {
                        return truncated();
                    }
                    clock += delta;
                    eventTime = clock;
                    payloadOffset = position + 8;
                    payloadBytes = (int)bytes;
                    position = payloadOffset + (int)((bytes + ALIGNMENT - 1) & ~(ALIGNMENT - 1));
                    return true;
                }
                case TYPE_PADDING:
                    if (delta == 0)
                    {
                        position = end;
                        return false;
                    }
                    if (array0 == 0)
                    {
                        return truncated();
                    }
                    position += EVENT_HEADER_BYTES + (int)array0;
                    break;
                case TYPE_TIME_EXTEND:
                    clock += (array0 << TS_SHIFT) | delta;
                    position += 8;
                    break;
                case TYPE_TIME_STAMP:
                {
                    // 59 bits are stored; the top bits come from the running clock (rb_fix_abs_ts).
                    long absolute = (array0 << TS_SHIFT) | delta;
                    final long msb = clock & ~ABSOLUTE_TS_MASK;
                    if (msb != 0)
                    {
                        absolute |= msb;
                        if (absolute < clock)
                        {
                            absolute += 1L << 59;
                        }
                    }
                    clock = absolute;
                    position += 8;
                    break;
                }
                default:
                    return truncated();
            }
        }
        return false;
    }

    private boolean truncated()
    {
        malformed = true;
        position = end;
        return false;
    }

    /** Time of the current event, in the trace clock's nanoseconds. */
    long eventTime()
    {
        return eventTime;
    }

    int payloadOffset()
    {
        return payloadOffset;
    }

    int payloadBytes()
    {
        return payloadBytes;
    }

    boolean missedEvents()
    {
        return missedEvents;
    }

    /** Events lost before this page, or {@link WriteEvent#UNKNOWN_COUNT}. */
    long missedCount()
    {
        return missedCount;
    }

    int commitBytes()
    {
        return commitBytes;
    }

    long pageTimestamp()
    {
        return pageTimestamp;
    }

    /** True when the page or an event header did not make sense (the rest of the page was skipped). */
    boolean malformed()
    {
        return malformed;
    }
}
