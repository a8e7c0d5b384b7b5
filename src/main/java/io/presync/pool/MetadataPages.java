package io.presync.pool;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32C;

import static io.presync.pool.MetadataPageDescriptor.CRC_OFFSET;
import static io.presync.pool.MetadataPageDescriptor.GENERATION_OFFSET;
import static io.presync.pool.MetadataPageDescriptor.HEADER_BYTES;
import static io.presync.pool.MetadataPageDescriptor.MAGIC;
import static io.presync.pool.MetadataPageDescriptor.PAGE_BYTES;
import static io.presync.pool.MetadataPageDescriptor.PAGE_INDEX_OFFSET;
import static io.presync.pool.MetadataPageDescriptor.PAGE_TYPE_OFFSET;
import static io.presync.pool.MetadataPageDescriptor.POOL_ID_OFFSET;

/** Header, CRC and byte helpers shared by the superblock and the metadata pages. */
final class MetadataPages
{
    private MetadataPages()
    {
    }

    /** A zeroed little-endian heap page. */
    static ByteBuffer newPage()
    {
        return ByteBuffer.allocate(PAGE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void clear(final ByteBuffer page)
    {
        Arrays.fill(page.array(), page.arrayOffset(), page.arrayOffset() + PAGE_BYTES, (byte)0);
    }

    /** CRC32C of {@code page[0, length)}, independent of the buffer's position and limit. */
    static int crc32c(final ByteBuffer page, final int length)
    {
        final CRC32C crc = new CRC32C();
        crc.update(page.duplicate().position(0).limit(length));
        return (int)crc.getValue();
    }

    /** Stores the CRC32C of bytes [0, 4092) in the last four bytes. */
    static void seal(final ByteBuffer page)
    {
        page.putInt(CRC_OFFSET, crc32c(page, CRC_OFFSET));
    }

    static boolean crcMatches(final ByteBuffer page)
    {
        return page.getInt(CRC_OFFSET) == crc32c(page, CRC_OFFSET);
    }

    static void putBytes(final ByteBuffer page, final int offset, final byte[] bytes)
    {
        page.put(offset, bytes);
    }

    static boolean bytesEqual(final ByteBuffer page, final int offset, final byte[] expected)
    {
        for (int i = 0; i < expected.length; i++)
        {
            if (page.get(offset + i) != expected[i])
            {
                return false;
            }
        }
        return true;
    }

    static boolean allZero(final ByteBuffer page, final int from, final int to)
    {
        for (int i = from; i < to; i++)
        {
            if (page.get(i) != 0)
            {
                return false;
            }
        }
        return true;
    }

    static void writeHeader(
        final ByteBuffer page, final int type, final int index, final long generation, final long poolIdHigh, final long poolIdLow)
    {
        clear(page);
        putBytes(page, 0, MAGIC);
        page.putInt(PAGE_TYPE_OFFSET, type);
        page.putInt(PAGE_INDEX_OFFSET, index);
        page.putLong(GENERATION_OFFSET, generation);
        page.putLong(POOL_ID_OFFSET, poolIdHigh);
        page.putLong(POOL_ID_OFFSET + 8, poolIdLow);
    }

    /** Checks magic, CRC, type, index, generation and pool id of a metadata page read back. */
    static void checkHeader(
        final ByteBuffer page, final String what, final int type, final int index, final long generation,
        final long poolIdHigh, final long poolIdLow) throws CorruptMetadataException
    {
        if (!bytesEqual(page, 0, MAGIC))
        {
            throw new CorruptMetadataException(what + " has no metadata magic");
        }
        if (!crcMatches(page))
        {
            throw new CorruptMetadataException(what + " has a bad CRC32C");
        }
        if (page.getInt(PAGE_TYPE_OFFSET) != type || page.getInt(PAGE_INDEX_OFFSET) != index)
        {
            throw new CorruptMetadataException(what + " is page " + page.getInt(PAGE_INDEX_OFFSET) + " of type " +
                page.getInt(PAGE_TYPE_OFFSET) + ", expected page " + index + " of type " + type);
        }
        if (page.getLong(GENERATION_OFFSET) != generation)
        {
            throw new CorruptMetadataException(what + " is from generation " + page.getLong(GENERATION_OFFSET) +
                ", expected " + generation);
        }
        if (page.getLong(POOL_ID_OFFSET) != poolIdHigh || page.getLong(POOL_ID_OFFSET + 8) != poolIdLow)
        {
            throw new CorruptMetadataException(what + " belongs to another pool");
        }
        if (!allZero(page, POOL_ID_OFFSET + 16, HEADER_BYTES))
        {
            throw new CorruptMetadataException(what + " has non-zero reserved header bytes");
        }
    }
}
