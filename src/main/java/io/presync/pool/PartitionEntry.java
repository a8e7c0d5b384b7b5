package io.presync.pool;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static io.presync.pool.PartitionEntryDescriptor.*;

/** One partition as held in memory and in its entry page (see {@link PartitionEntryDescriptor}). */
final class PartitionEntry
{
    String name;
    MasterIdentity master;
    long logicalSizeBytes;
    long usedBytes;
    PartitionState state;
    int extensionCount;
    final List<Segment> segments = new ArrayList<>();
    /** Root page of the extent-map B-tree (data-space page + 1), 0 while the map was never committed. */
    long mapRootPage;
    long mapPages;
    long mapExtentCount;
    /** Header page of the job-state blob (data-space page + 1), 0 when none. */
    long jobStateHeaderPage;
    long jobStateBytes;
    long jobStatePages;
    /** Data-space bytes below which everything the commit uses lies (what trim keeps). */
    long dataHighWater;
    long createdMillis;

    PartitionEntry copy()
    {
        final PartitionEntry c = new PartitionEntry();
        c.name = name;
        c.master = master;
        c.logicalSizeBytes = logicalSizeBytes;
        c.usedBytes = usedBytes;
        c.state = state;
        c.extensionCount = extensionCount;
        c.segments.addAll(segments);
        c.mapRootPage = mapRootPage;
        c.mapPages = mapPages;
        c.mapExtentCount = mapExtentCount;
        c.jobStateHeaderPage = jobStateHeaderPage;
        c.jobStateBytes = jobStateBytes;
        c.jobStatePages = jobStatePages;
        c.dataHighWater = dataHighWater;
        c.createdMillis = createdMillis;
        return c;
    }

    long reservedUnits()
    {
        long units = 0;
        for (final Segment s : segments)
        {
            units += s.lengthUnits();
        }
        return units;
    }

    long checksumBytes()
    {
        long pages = 0;
        for (final Segment s : segments)
        {
            pages += s.checksumPages();
        }
        return pages * MetadataPageDescriptor.PAGE_BYTES;
    }

    /** Null when the name can be stored, else why not. */
    static String checkName(final String name)
    {
        if (name == null || name.isEmpty())
        {
            return "a partition name must not be empty";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX_BYTES)
        {
            return "partition name '" + name + "' is longer than " + NAME_MAX_BYTES + " bytes of UTF-8";
        }
        for (int i = 0; i < name.length(); i++)
        {
            if (Character.isISOControl(name.charAt(i)) || name.charAt(i) == '/')
            {
                return "partition name '" + name.replaceAll("\\p{Cntrl}", "?") + "' contains a control character or '/'";
            }
        }
        return null;
    }

    void encode(final ByteBuffer page, final int index, final Superblock sb)
    {
        MetadataPages.writeHeader(page, MetadataPageDescriptor.TYPE_PARTITION, index, sb.generation, sb.poolIdHigh, sb.poolIdLow);
        final byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        page.putInt(STATE_OFFSET, state.code());
        page.putInt(NAME_LENGTH_OFFSET, nameBytes.length);
        page.put(NAME_OFFSET, nameBytes);
        page.putLong(MASTER_ID_OFFSET, master.idHigh());
        page.putLong(MASTER_ID_OFFSET + 8, master.idLow());
        page.putLong(MASTER_SIZE_BYTES_OFFSET, master.sizeBytes());
        page.putLong(LOGICAL_SIZE_BYTES_OFFSET, logicalSizeBytes);
        page.putLong(USED_BYTES_OFFSET, usedBytes);
        page.putInt(EXTENSION_COUNT_OFFSET, extensionCount);
        page.putInt(SEGMENT_COUNT_OFFSET, segments.size());
        page.putLong(MAP_ROOT_PAGE_OFFSET, mapRootPage);
        page.putLong(MAP_PAGES_OFFSET, mapPages);
        page.putLong(JOB_STATE_HEADER_PAGE_OFFSET, jobStateHeaderPage);
        page.putLong(JOB_STATE_BYTES_OFFSET, jobStateBytes);
        page.putLong(MAP_EXTENT_COUNT_OFFSET, mapExtentCount);
        page.putLong(JOB_STATE_PAGES_OFFSET, jobStatePages);
        page.putLong(DATA_HIGH_WATER_OFFSET, dataHighWater);
        page.putLong(CREATED_MILLIS_OFFSET, createdMillis);
        for (int i = 0; i < segments.size(); i++)
        {
            final Segment s = segments.get(i);
            final int offset = segmentOffset(i);
            page.putLong(offset + SEGMENT_START_UNIT_OFFSET, s.startUnit());
            page.putInt(offset + SEGMENT_LENGTH_UNITS_OFFSET, (int)s.lengthUnits());
            page.putInt(offset + SEGMENT_CHECKSUM_PAGES_OFFSET, s.checksumPages());
        }
        MetadataPages.seal(page);
    }

    static PartitionEntry decode(final ByteBuffer page, final int index, final Superblock sb) throws CorruptMetadataException
    {
        final String what = "partition entry page " + index;
        MetadataPages.checkHeader(page, what, MetadataPageDescriptor.TYPE_PARTITION, index, sb.generation, sb.poolIdHigh, sb.poolIdLow);
        final PartitionEntry e = new PartitionEntry();
        e.state = PartitionState.ofCode(page.getInt(STATE_OFFSET));
        if (e.state == null)
        {
            throw new CorruptMetadataException(what + " has unknown state " + page.getInt(STATE_OFFSET));
        }
        final int nameLength = page.getInt(NAME_LENGTH_OFFSET);
        if (nameLength <= 0 || nameLength > NAME_MAX_BYTES)
        {
            throw new CorruptMetadataException(what + " has a name of " + nameLength + " bytes");
        }
        final byte[] nameBytes = new byte[nameLength];
        page.get(NAME_OFFSET, nameBytes);
        try
        {
            e.name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(nameBytes)).toString();
        }
        catch (final CharacterCodingException ex)
        {
            throw new CorruptMetadataException(what + " has a name that is not UTF-8");
        }
        e.master = new MasterIdentity(page.getLong(MASTER_ID_OFFSET), page.getLong(MASTER_ID_OFFSET + 8),
            page.getLong(MASTER_SIZE_BYTES_OFFSET));
        e.logicalSizeBytes = page.getLong(LOGICAL_SIZE_BYTES_OFFSET);
        e.usedBytes = page.getLong(USED_BYTES_OFFSET);
        e.extensionCount = page.getInt(EXTENSION_COUNT_OFFSET);
        final int segmentCount = page.getInt(SEGMENT_COUNT_OFFSET);
        e.mapRootPage = page.getLong(MAP_ROOT_PAGE_OFFSET);
        e.mapPages = page.getLong(MAP_PAGES_OFFSET);
        e.jobStateHeaderPage = page.getLong(JOB_STATE_HEADER_PAGE_OFFSET);
        e.jobStateBytes = page.getLong(JOB_STATE_BYTES_OFFSET);
        e.mapExtentCount = page.getLong(MAP_EXTENT_COUNT_OFFSET);
        e.jobStatePages = page.getLong(JOB_STATE_PAGES_OFFSET);
        e.dataHighWater = page.getLong(DATA_HIGH_WATER_OFFSET);
        e.createdMillis = page.getLong(CREATED_MILLIS_OFFSET);
        if (segmentCount < 0 || segmentCount > MAX_SEGMENTS)
        {
            throw new CorruptMetadataException(what + " has " + segmentCount + " segments");
        }
        for (int i = 0; i < segmentCount; i++)
        {
            final int offset = segmentOffset(i);
            final long start = page.getLong(offset + SEGMENT_START_UNIT_OFFSET);
            final long length = Integer.toUnsignedLong(page.getInt(offset + SEGMENT_LENGTH_UNITS_OFFSET));
            final int checksumPages = page.getInt(offset + SEGMENT_CHECKSUM_PAGES_OFFSET);
            if (start < sb.reservedUnits || length <= 0 || start + length > sb.unitCount || checksumPages < 0 ||
                (long)checksumPages * MetadataPageDescriptor.PAGE_BYTES >= length * sb.unitBytes)
            {
                throw new CorruptMetadataException(what + " has a bad segment " + i + " [" + start + ", +" + length + ")");
            }
            e.segments.add(new Segment(start, length, checksumPages));
        }
        if (e.logicalSizeBytes < 0 || e.usedBytes < 0 || e.extensionCount < 0)
        {
            throw new CorruptMetadataException(what + " has negative sizes or counts");
        }
        long dataBytes = 0;
        for (final Segment s : e.segments)
        {
            dataBytes += s.dataBytes(sb.unitBytes);
        }
        final long dataPages = dataBytes / MetadataPageDescriptor.PAGE_BYTES;
        if (e.dataHighWater < 0 || e.dataHighWater > dataBytes || e.mapExtentCount < 0 || e.mapPages < 0 ||
            e.mapRootPage < 0 || e.mapRootPage > dataPages || (e.mapRootPage == 0) != (e.mapPages == 0) ||
            e.jobStateHeaderPage < 0 || e.jobStateHeaderPage > dataPages || e.jobStateBytes < 0 || e.jobStatePages < 0 ||
            (e.jobStateHeaderPage == 0) != (e.jobStatePages == 0) || e.mapPages + e.jobStatePages > dataPages)
        {
            throw new CorruptMetadataException(what + " has an inconsistent extent map or job state location");
        }
        if (!MetadataPages.allZero(page, NAME_OFFSET + nameLength, MASTER_ID_OFFSET) ||
            !MetadataPages.allZero(page, MAP_EXTENT_COUNT_OFFSET + 8, DATA_HIGH_WATER_OFFSET) ||
            !MetadataPages.allZero(page, FIELDS_END_OFFSET, SEGMENTS_OFFSET) ||
            !MetadataPages.allZero(page, segmentOffset(segmentCount), MetadataPageDescriptor.CRC_OFFSET))
        {
            throw new CorruptMetadataException(what + " has non-zero reserved bytes");
        }
        return e;
    }

}
