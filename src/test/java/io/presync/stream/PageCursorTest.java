package io.presync.stream;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring-buffer page parser and the event decoder on hand-built pages, independent of a kernel. */
class PageCursorTest
{
    /** The block_rq_complete format of kernel 6.18, as tracefs prints it. */
    static final String RQ_COMPLETE_FORMAT = """
        name: block_rq_complete
        ID: 2107
        format:
        	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
        	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
        	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
        	field:int common_pid;	offset:4;	size:4;	signed:1;

        	field:dev_t dev;	offset:8;	size:4;	signed:0;
        	field:sector_t sector;	offset:16;	size:8;	signed:0;
        	field:unsigned int nr_sector;	offset:24;	size:4;	signed:0;
        	field:int error;	offset:28;	size:4;	signed:1;
        	field:unsigned short ioprio;	offset:32;	size:2;	signed:0;
        	field:char rwbs[10];	offset:34;	size:10;	signed:0;
        	field:__data_loc char[] cmd;	offset:44;	size:4;	signed:0;

        print fmt: "%d,%d %s (%s) %llu + %u", REC->dev
        """;

    private final ByteBuffer page = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
    private int at = 16;

    private void header(final int typeLen, final long delta)
    {
        page.putInt(at, (int)(typeLen | (delta << 5)));
        at += 4;
    }

    private void rqComplete(final int typeLen, final long delta, final long dev, final long sector, final int sectors, final String rwbs)
    {
        final int payload;
        if (typeLen == 0)
        {
            header(0, delta);
            page.putInt(at, 48 + 4);
            at += 4;
            payload = at;
        }
        else
        {
            header(typeLen, delta);
            payload = at;
        }
        page.putShort(payload, (short)2107);
        page.putInt(payload + 8, (int)dev);
        page.putLong(payload + 16, sector);
        page.putInt(payload + 24, sectors);
        for (int i = 0; i < rwbs.length(); i++)
        {
            page.put(payload + 34 + i, (byte)rwbs.charAt(i));
        }
        at = payload + 48;
    }

    private void commit(final long flags, final long missed)
    {
        final int length = at - 16;
        page.putLong(0, 1_000_000L);
        page.putLong(8, length | flags);
        if ((flags & RingBufferPageDescriptor.MISSED_STORED) != 0)
        {
            page.putLong(at, missed);
        }
    }

    @Test
    void walksDataTimeExtendPaddingLargeAndAbsoluteEvents() throws IOException
    {
        final BlockEventDecoder decoder = new BlockEventDecoder(EventFormat.parse(RQ_COMPLETE_FORMAT, "test"));
        rqComplete(12, 5, (7L << 20) | 3, 80, 8, "WS");                 // t = 1_000_005
        header(RingBufferPageDescriptor.TYPE_TIME_EXTEND, 0x10);         // + (1 << 27 | 0x10)
        page.putInt(at, 1);
        at += 4;
        rqComplete(12, 7, (7L << 20) | 3, 160, 0, "FF");                // t = 1_000_005 + 134_217_744 + 7
        header(RingBufferPageDescriptor.TYPE_PADDING, 1);                 // a discarded event of 8 bytes
        page.putInt(at, 8);
        at += 8;
        rqComplete(0, 3, (7L << 20) | 3, 2048, 128, "DS");              // large form, + 3
        header(RingBufferPageDescriptor.TYPE_TIME_STAMP, 5);              // absolute 2 << 27 | 5
        page.putInt(at, 2);
        at += 4;
        rqComplete(12, 1, (7L << 20) | 3, 4096, 128, "N");              // + 1
        rqComplete(12, 1, (7L << 20) | 3, 0, 8, "RA");
        commit(RingBufferPageDescriptor.MISSED_EVENTS | RingBufferPageDescriptor.MISSED_STORED, 42);

        final PageCursor cursor = new PageCursor(RingBufferPageDescriptor.Layout.DEFAULT_64);
        assertTrue(cursor.wrap(page, 4096));
        assertTrue(cursor.missedEvents());
        assertEquals(42, cursor.missedCount());
        final List<String> seen = new ArrayList<>();
        while (cursor.next())
        {
            assertTrue(decoder.decode(page, cursor.payloadOffset(), cursor.payloadBytes()));
            seen.add(cursor.eventTime() + " " + decoder.op + " " + decoder.sector + "+" + decoder.sectors + " dev " + decoder.dev);
        }
        final long t1 = 1_000_005;
        final long t2 = t1 + ((1L << 27) | 0x10) + 7;
        final long t3 = t2 + 3;
        final long t4 = ((2L << 27) | 5) + 1;
        assertEquals(List.of(
            t1 + " WRITE 80+8 dev 7340035",
            t2 + " FLUSH 160+0 dev 7340035",
            t3 + " DISCARD 2048+128 dev 7340035",
            t4 + " WRITE_ZEROES 4096+128 dev 7340035",
            (t4 + 1) + " null 0+8 dev 7340035"), seen);
        assertFalse(cursor.malformed());
    }

    @Test
    void missedFlagWithoutCountAndEndPadding()
    {
        rqComplete(12, 5, 1, 8, 8, "W");
        header(RingBufferPageDescriptor.TYPE_PADDING, 0);                 // rest of the page is empty
        commit(RingBufferPageDescriptor.MISSED_EVENTS, 0);
        final PageCursor cursor = new PageCursor(RingBufferPageDescriptor.Layout.DEFAULT_64);
        assertTrue(cursor.wrap(page, 4096));
        assertTrue(cursor.missedEvents());
        assertEquals(WriteEvent.UNKNOWN_COUNT, cursor.missedCount());
        assertTrue(cursor.next());
        assertFalse(cursor.next());
        assertFalse(cursor.malformed());
    }

    @Test
    void impossibleCommitIsRefused()
    {
        page.putLong(8, 5000);
        final PageCursor cursor = new PageCursor(RingBufferPageDescriptor.Layout.DEFAULT_64);
        assertFalse(cursor.wrap(page, 4096));
        assertTrue(cursor.malformed());
        assertFalse(cursor.next());
    }

    @Test
    void truncatedEventStopsThePage()
    {
        header(20, 1); // claims 80 bytes of payload
        at += 8;       // but only 8 are committed
        commit(0, 0);
        final PageCursor cursor = new PageCursor(RingBufferPageDescriptor.Layout.DEFAULT_64);
        assertTrue(cursor.wrap(page, 4096));
        assertFalse(cursor.next());
        assertTrue(cursor.malformed());
    }

    @Test
    void rwbsClassification()
    {
        assertEquals(WriteOp.WRITE, BlockEventDecoder.classify("W", 8));
        assertEquals(WriteOp.WRITE, BlockEventDecoder.classify("WS", 8));
        assertEquals(WriteOp.WRITE, BlockEventDecoder.classify("WFS", 8));   // FUA write
        assertEquals(WriteOp.WRITE, BlockEventDecoder.classify("FWS", 8));   // pre-flush + write
        assertEquals(WriteOp.FLUSH, BlockEventDecoder.classify("FWS", 0));   // the flush part alone
        assertEquals(WriteOp.FLUSH, BlockEventDecoder.classify("WS", 0));
        assertEquals(WriteOp.FLUSH, BlockEventDecoder.classify("FF", 0));
        assertEquals(WriteOp.FLUSH, BlockEventDecoder.classify("F", 0));
        assertEquals(WriteOp.DISCARD, BlockEventDecoder.classify("D", 8));
        assertEquals(WriteOp.DISCARD, BlockEventDecoder.classify("DS", 8));
        assertEquals(WriteOp.DISCARD, BlockEventDecoder.classify("DE", 8));  // secure erase
        assertEquals(WriteOp.WRITE_ZEROES, BlockEventDecoder.classify("NS", 128));
        assertNull(BlockEventDecoder.classify("R", 8));
        assertNull(BlockEventDecoder.classify("RA", 8));
        assertNull(BlockEventDecoder.classify("RM", 8));
        assertNull(BlockEventDecoder.classify("N", 0));
    }

    @Test
    void formatFileParsing() throws IOException
    {
        final EventFormat format = EventFormat.parse(RQ_COMPLETE_FORMAT, "test");
        assertEquals("block_rq_complete", format.name());
        assertEquals(2107, format.id());
        assertEquals(34, format.field("rwbs").offset());
        assertEquals(10, format.field("rwbs").size());
        assertEquals(16, format.field("sector").offset());
        assertEquals(8, format.field("sector").size());
        assertEquals(44, format.field("cmd").offset());
        assertFalse(format.hasField("bytes"));
    }
}
