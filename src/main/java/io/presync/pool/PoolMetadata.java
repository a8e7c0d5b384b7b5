package io.presync.pool;

import io.presync.RefusedException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.presync.pool.MetadataPageDescriptor.PAGE_BYTES;

/**
 * The whole metadata of one generation: superblock, partition entries and free-space map, with the
 * commit protocol that writes it and the selection that reads it back.
 *
 * <p>Commit of generation {@code g} (copy-on-write by slot): write the entry and free-map pages into
 * slot {@code g & 1}, flush, write superblock {@code g & 1}, flush. Until that last write is durable
 * the other superblock and slot still hold generation {@code g - 1}, untouched. Open reads both
 * superblocks, and takes the valid one with the highest generation whose pages are all valid;
 * a page's header names its generation and pool, so stale pages are rejected even with a good CRC.
 */
final class PoolMetadata
{
    final Superblock sb;
    final List<PartitionEntry> partitions = new ArrayList<>();
    final FreeSpaceMap free = new FreeSpaceMap();
    /** Null when the newest superblock was used; else why the older one had to be. */
    String recoveryNote;
    /**
     * As read by {@link #read}: the generation just before this one (the other superblock), when it is
     * intact; null otherwise and in every copy. Open falls back to it when this one is damaged, so its
     * partitions' space is kept until the next commit replaces it ({@link Partition}).
     */
    PoolMetadata previous;

    PoolMetadata(final Superblock sb)
    {
        this.sb = sb;
    }

    /** Metadata of an empty pool: every unit past the reserved ones is free. */
    static PoolMetadata empty(final Superblock sb)
    {
        final PoolMetadata m = new PoolMetadata(sb);
        m.free.free(sb.reservedUnits, sb.unitCount - sb.reservedUnits);
        return m;
    }

    PoolMetadata copy()
    {
        final PoolMetadata c = new PoolMetadata(sb.copy());
        for (final PartitionEntry e : partitions)
        {
            c.partitions.add(e.copy());
        }
        for (final long[] extent : free.extents())
        {
            c.free.free(extent[0], extent[1]);
        }
        return c;
    }

    PartitionEntry find(final String name)
    {
        for (final PartitionEntry e : partitions)
        {
            if (e.name.equals(name))
            {
                return e;
            }
        }
        return null;
    }

    /**
     * Writes this metadata as generation {@code generation} and makes it durable, in the order that
     * keeps the previous generation intact until the new superblock is on disk.
     */
    void commit(final PoolIo io, final long generation, final long nowMillis) throws IOException
    {
        sb.generation = generation;
        sb.committedMillis = nowMillis;
        sb.partitionCount = partitions.size();
        sb.freeExtentCount = free.extentCount();
        final ByteBuffer page = MetadataPages.newPage();

        // Data the new metadata points at must be durable before the metadata is.
        io.flush();
        if (!partitions.isEmpty())
        {
            final ByteBuffer entries = ByteBuffer.allocate(partitions.size() * PAGE_BYTES);
            for (int i = 0; i < partitions.size(); i++)
            {
                partitions.get(i).encode(page, i, sb);
                entries.put(page.array(), 0, PAGE_BYTES);
            }
            io.write(sb.metadataPageOffset(0), entries.flip());
        }
        final List<long[]> extents = free.extents();
        final int freePages = FreeSpaceMapDescriptor.pagesFor(extents.size());
        final ByteBuffer freeMap = ByteBuffer.allocate(freePages * PAGE_BYTES);
        for (int p = 0; p < freePages; p++)
        {
            MetadataPages.writeHeader(page, MetadataPageDescriptor.TYPE_FREE_MAP, p, sb.generation, sb.poolIdHigh, sb.poolIdLow);
            final int first = p * FreeSpaceMapDescriptor.EXTENTS_PER_PAGE;
            final int count = Math.min(FreeSpaceMapDescriptor.EXTENTS_PER_PAGE, extents.size() - first);
            page.putInt(FreeSpaceMapDescriptor.EXTENT_COUNT_OFFSET, count);
            for (int i = 0; i < count; i++)
            {
                final int offset = FreeSpaceMapDescriptor.extentOffset(i);
                page.putLong(offset + FreeSpaceMapDescriptor.EXTENT_START_UNIT_OFFSET, extents.get(first + i)[0]);
                page.putLong(offset + FreeSpaceMapDescriptor.EXTENT_LENGTH_UNITS_OFFSET, extents.get(first + i)[1]);
            }
            MetadataPages.seal(page);
            freeMap.put(page.array(), 0, PAGE_BYTES);
        }
        io.write(sb.metadataPageOffset(sb.maxPartitions), freeMap.flip());
        io.flush();

        sb.encode(page);
        io.write(SuperblockDescriptor.superblockOffset(sb.activeSlot()), page.position(0).limit(PAGE_BYTES));
        io.flush();
    }

    /**
     * Reads the newest valid generation from the device.
     *
     * @throws RefusedException when the device holds no pool at all.
     * @throws IOException naming both superblocks' problems when neither is usable.
     */
    static PoolMetadata read(final PoolIo io) throws IOException
    {
        final ByteBuffer[] pages = new ByteBuffer[SuperblockDescriptor.SUPERBLOCK_COUNT];
        final Superblock[] candidates = new Superblock[SuperblockDescriptor.SUPERBLOCK_COUNT];
        final String[] problems = new String[SuperblockDescriptor.SUPERBLOCK_COUNT];
        boolean anyMagic = false;
        for (int i = 0; i < pages.length; i++)
        {
            pages[i] = MetadataPages.newPage();
            io.read(SuperblockDescriptor.superblockOffset(i), pages[i]);
            anyMagic |= Superblock.hasMagic(pages[i]);
            try
            {
                candidates[i] = Superblock.decode(pages[i], i);
            }
            catch (final CorruptMetadataException ex)
            {
                problems[i] = ex.getMessage();
            }
        }
        if (!anyMagic)
        {
            throw new RefusedException(io.path() + " holds no presync pool; create one with 'presync pool create " +
                io.path() + "'");
        }
        final List<Integer> order = new ArrayList<>();
        for (int i = 0; i < candidates.length; i++)
        {
            if (candidates[i] != null)
            {
                order.add(i);
            }
        }
        order.sort(Comparator.comparingLong((Integer i) -> candidates[i].generation).reversed());
        for (final int i : order)
        {
            try
            {
                final PoolMetadata m = readSlot(io, candidates[i]);
                final int other = 1 - i;
                if (candidates[other] != null && candidates[other].generation == candidates[i].generation - 1)
                {
                    try
                    {
                        m.previous = readSlot(io, candidates[other]);
                    }
                    catch (final CorruptMetadataException ex)
                    {
                        // Damaged: nothing to fall back to, nothing to keep.
                    }
                }
                if (problems[other] != null)
                {
                    m.recoveryNote = "superblock " + other + " is invalid (" + problems[other] + "); using superblock " + i +
                        " (generation " + candidates[i].generation + ")";
                }
                return m;
            }
            catch (final CorruptMetadataException ex)
            {
                problems[i] = "generation " + candidates[i].generation + ": " + ex.getMessage();
            }
        }
        throw new IOException("neither superblock of " + io.path() + " is valid: superblock 0: " + problems[0] +
            "; superblock 1: " + problems[1]);
    }

    private static PoolMetadata readSlot(final PoolIo io, final Superblock sb) throws IOException
    {
        final PoolMetadata m = new PoolMetadata(sb);
        final ByteBuffer page = MetadataPages.newPage();
        final Set<String> names = new HashSet<>();
        for (int i = 0; i < sb.partitionCount; i++)
        {
            io.read(sb.metadataPageOffset(i), page.clear());
            final PartitionEntry e = PartitionEntry.decode(page, i, sb);
            if (!names.add(e.name))
            {
                throw new CorruptMetadataException("partition name '" + e.name + "' appears twice");
            }
            m.partitions.add(e);
        }
        final int freePages = FreeSpaceMapDescriptor.pagesFor(sb.freeExtentCount);
        int extentsSeen = 0;
        for (int p = 0; p < freePages; p++)
        {
            io.read(sb.metadataPageOffset(sb.maxPartitions + p), page.clear());
            final String what = "free-space map page " + p;
            MetadataPages.checkHeader(page, what, MetadataPageDescriptor.TYPE_FREE_MAP, p, sb.generation, sb.poolIdHigh, sb.poolIdLow);
            final int count = page.getInt(FreeSpaceMapDescriptor.EXTENT_COUNT_OFFSET);
            final int expected = Math.min(FreeSpaceMapDescriptor.EXTENTS_PER_PAGE, sb.freeExtentCount - extentsSeen);
            if (count != expected)
            {
                throw new CorruptMetadataException(what + " holds " + count + " extents, expected " + expected);
            }
            for (int i = 0; i < count; i++)
            {
                final int offset = FreeSpaceMapDescriptor.extentOffset(i);
                final long start = page.getLong(offset + FreeSpaceMapDescriptor.EXTENT_START_UNIT_OFFSET);
                final long length = page.getLong(offset + FreeSpaceMapDescriptor.EXTENT_LENGTH_UNITS_OFFSET);
                if (start < sb.reservedUnits || length <= 0 || start + length > sb.unitCount)
                {
                    throw new CorruptMetadataException(what + " has a bad extent [" + start + ", +" + length + ")");
                }
                try
                {
                    m.free.free(start, length);
                }
                catch (final IllegalStateException ex)
                {
                    throw new CorruptMetadataException(what + " has overlapping extents at unit " + start);
                }
            }
            extentsSeen += count;
        }
        m.checkCoverage();
        return m;
    }

    /**
     * Checks that reserved units, owned segments and free extents tile the pool exactly: the free
     * map is redundant, so a disagreement means a metadata bug and nothing may be allocated.
     */
    void checkCoverage() throws CorruptMetadataException
    {
        final List<long[]> runs = new ArrayList<>();
        runs.add(new long[] {0, sb.reservedUnits, -1});
        for (int p = 0; p < partitions.size(); p++)
        {
            for (final Segment s : partitions.get(p).segments)
            {
                runs.add(new long[] {s.startUnit(), s.lengthUnits(), p});
            }
        }
        for (final long[] extent : free.extents())
        {
            runs.add(new long[] {extent[0], extent[1], -2});
        }
        runs.sort(Comparator.comparingLong(r -> r[0]));
        long next = 0;
        for (final long[] run : runs)
        {
            if (run[0] != next)
            {
                throw new CorruptMetadataException("units " + Math.min(run[0], next) + ".." + Math.max(run[0], next) +
                    (run[0] > next ? " are neither free nor owned" : " are owned twice"));
            }
            next = run[0] + run[1];
        }
        if (next != sb.unitCount)
        {
            throw new CorruptMetadataException("the pool's units end at " + next + ", expected " + sb.unitCount);
        }
    }
}
