package io.presync.stream;

import java.nio.ByteBuffer;

import java.io.IOException;

/**
 * Decodes block_rq_complete / block_bio_complete payloads with offsets from the kernel's format
 * files, and turns {@code rwbs} into a {@link WriteOp}. Allocates nothing.
 *
 * <p>{@code rwbs} (blk_fill_rwbs in block/blk-core.c): an optional leading {@code F} (REQ_PREFLUSH),
 * then the operation ({@code W} write, {@code D} discard, {@code DE} secure erase, {@code F} flush,
 * {@code R} read, {@code N} anything else, which on a block device that is not zoned is
 * write-zeroes), then modifiers ({@code F} FUA, {@code A} read-ahead, {@code S} sync, {@code M} meta).
 * A completion of zero sectors is the flush part of a request and becomes {@link WriteOp#FLUSH}.
 */
final class BlockEventDecoder
{
    /** Decoded fields of the current event. */
    int typeId;
    long dev;
    long sector;
    long sectors;
    int error;
    WriteOp op;

    private final int[] ids;
    private final int[] devOffset;
    private final int[] devSize;
    private final int[] sectorOffset;
    private final int[] sectorsOffset;
    private final int[] errorOffset;
    private final int[] rwbsOffset;
    private final int[] rwbsSize;
    private final int typeOffset;

    BlockEventDecoder(final EventFormat... formats) throws IOException
    {
        final int n = formats.length;
        ids = new int[n];
        devOffset = new int[n];
        devSize = new int[n];
        sectorOffset = new int[n];
        sectorsOffset = new int[n];
        errorOffset = new int[n];
        rwbsOffset = new int[n];
        rwbsSize = new int[n];
        typeOffset = formats[0].field("common_type").offset();
        for (int i = 0; i < n; i++)
        {
            final EventFormat f = formats[i];
            ids[i] = f.id();
            devOffset[i] = f.field("dev").offset();
            devSize[i] = f.field("dev").size();
            sectorOffset[i] = f.field("sector").offset();
            sectorsOffset[i] = f.field("nr_sector").offset();
            errorOffset[i] = f.field("error").offset();
            rwbsOffset[i] = f.field("rwbs").offset();
            rwbsSize[i] = f.field("rwbs").size();
        }
    }

    /** Decodes the event at {@code offset}; false when it is none of ours or too short. */
    boolean decode(final ByteBuffer page, final int offset, final int bytes)
    {
        if (bytes < 2)
        {
            return false;
        }
        final int type = page.getShort(offset + typeOffset) & 0xFFFF;
        int k = -1;
        for (int i = 0; i < ids.length; i++)
        {
            if (ids[i] == type)
            {
                k = i;
                break;
            }
        }
        if (k < 0 || rwbsOffset[k] + rwbsSize[k] > bytes || sectorOffset[k] + 8 > bytes)
        {
            return false;
        }
        typeId = type;
        dev = devSize[k] == 8 ? page.getLong(offset + devOffset[k]) :
            page.getInt(offset + devOffset[k]) & 0xFFFF_FFFFL;
        sector = page.getLong(offset + sectorOffset[k]);
        sectors = page.getInt(offset + sectorsOffset[k]) & 0xFFFF_FFFFL;
        error = page.getInt(offset + errorOffset[k]);
        op = classify(page, offset + rwbsOffset[k], rwbsSize[k], sectors);
        return true;
    }

    /** The op of an rwbs string, or null for reads and anything we do not track. */
    static WriteOp classify(final ByteBuffer buffer, final int offset, final int maxBytes, final long sectors)
    {
        byte c = maxBytes > 0 ? buffer.get(offset) : 0;
        if (c == 'F' && maxBytes > 1)
        {
            final byte next = buffer.get(offset + 1);
            if (next == 'W' || next == 'D' || next == 'R' || next == 'N' || next == 'F')
            {
                // Leading F is REQ_PREFLUSH; the operation follows.
                c = next;
            }
        }
        return classify(c, sectors);
    }

    static WriteOp classify(final CharSequence rwbs, final long sectors)
    {
        char c = rwbs.length() > 0 ? rwbs.charAt(0) : 0;
        if (c == 'F' && rwbs.length() > 1)
        {
            final char next = rwbs.charAt(1);
            if (next == 'W' || next == 'D' || next == 'R' || next == 'N' || next == 'F')
            {
                c = next;
            }
        }
        return classify((byte)c, sectors);
    }

    private static WriteOp classify(final byte op, final long sectors)
    {
        switch (op)
        {
            case 'W':
                return sectors == 0 ? WriteOp.FLUSH : WriteOp.WRITE;
            case 'D':
                return sectors == 0 ? null : WriteOp.DISCARD;
            case 'N':
                return sectors == 0 ? null : WriteOp.WRITE_ZEROES;
            case 'F':
                return WriteOp.FLUSH;
            default:
                return null;
        }
    }
}
