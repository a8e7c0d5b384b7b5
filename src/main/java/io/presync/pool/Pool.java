package io.presync.pool;

import io.presync.ByteSizes;
import io.presync.RefusedException;
import io.presync.device.DeviceCopy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The slave storage pool on one block device: a superblock pair, a partition table and a free-space
 * map (format in {@code docs/pool-format.md} and the {@code *Descriptor} classes), and partitions
 * allocated at the size the planner asks for. Every change is one metadata commit: it is prepared on
 * a copy, the device is prepared (space discarded, then reserved), the copy is committed, and only
 * then does it become the pool's state; a refused or failed operation changes nothing.
 *
 * <p>Not thread-safe: one owner (the CLI or a replication job) at a time.
 */
public final class Pool implements AutoCloseable
{
    public static final long DEFAULT_UNIT_BYTES = 1L << 20;
    public static final int DEFAULT_MAX_PARTITIONS = 64;
    /** Segment lengths are stored as u32 units. */
    static final long MAX_SEGMENT_UNITS = 0xFFFF_FFFFL;

    /**
     * Options of {@link #create}.
     *
     * @param force overwrite a device that carries a filesystem, partition table or other signature
     */
    public record CreateOptions(long unitBytes, int maxPartitions, boolean force)
    {
        public static CreateOptions defaults()
        {
            return new CreateOptions(DEFAULT_UNIT_BYTES, DEFAULT_MAX_PARTITIONS, false);
        }

        public CreateOptions withForce(final boolean force)
        {
            return new CreateOptions(unitBytes, maxPartitions, force);
        }

        public CreateOptions withUnitBytes(final long unitBytes)
        {
            return new CreateOptions(unitBytes, maxPartitions, force);
        }
    }

    private final PoolIo io;
    private final boolean writable;
    private final java.util.Map<String, Partition> open = new java.util.HashMap<>();
    private PoolMetadata meta;
    /**
     * The generation before {@link #meta} (which the other superblock holds and open falls back to),
     * when known: read at open, then the metadata each commit replaces. Null when unknown or damaged.
     */
    private PoolMetadata previous;
    private boolean closed;

    private Pool(final PoolIo io, final PoolMetadata meta, final boolean writable)
    {
        this.io = io;
        this.meta = meta;
        this.previous = meta.previous;
        meta.previous = null;
        this.writable = writable;
    }

    /**
     * Writes a new, empty pool on {@code device}.
     *
     * @throws RefusedException when the device is missing, mounted or in use, carries a signature
     *         (unless {@code options.force()}), or is too small.
     */
    public static Pool create(final Path device, final CreateOptions options) throws IOException
    {
        // BlockDevice refuses a missing, mounted, swap or held device before anything is written.
        final PoolIo io = BlockDevicePoolIo.open(device, true);
        try
        {
            if (!options.force())
            {
                refuseSignatures(io);
            }
            return create(io, options, System.currentTimeMillis());
        }
        catch (final IOException | RuntimeException ex)
        {
            io.close();
            throw ex;
        }
    }

    private static void refuseSignatures(final PoolIo io) throws IOException
    {
        final int sector = io.logicalSectorBytes();
        final int length = (int)(Math.min(io.sizeBytes(), Signatures.HEAD_BYTES) / sector * sector);
        final ByteBuffer head = ByteBuffer.allocate(length);
        io.read(0, head);
        final List<Signatures.Found> found = Signatures.detect(head.array());
        if (!found.isEmpty())
        {
            final List<String> what = new ArrayList<>();
            for (final Signatures.Found f : found)
            {
                what.add(f.description());
            }
            throw new RefusedException(io.path() + " holds " + String.join(" and ", what) + "; pass --force to overwrite it");
        }
    }

    /** Creates a pool through {@code io} (tests inject their own); checks of the device are the caller's. */
    static Pool create(final PoolIo io, final CreateOptions options, final long nowMillis) throws IOException
    {
        final String unitProblem = PoolLayout.checkUnit(options.unitBytes());
        if (unitProblem != null)
        {
            throw new RefusedException(unitProblem + "; pass --unit with such a size");
        }
        if (options.maxPartitions() < 1 || options.maxPartitions() > PoolLayout.MAX_MAX_PARTITIONS)
        {
            throw new RefusedException("a pool holds 1 to " + PoolLayout.MAX_MAX_PARTITIONS + " partitions, not " +
                options.maxPartitions());
        }
        final long sizeBytes = io.sizeBytes();
        final long minimumBytes = (PoolLayout.reservedUnits(options.unitBytes(), options.maxPartitions()) + 1) * options.unitBytes();
        if (sizeBytes < minimumBytes)
        {
            throw new RefusedException(io.path() + " has " + ByteSizes.format(sizeBytes) + ", too small for a pool of " +
                ByteSizes.format(options.unitBytes()) + " units, which needs at least " + ByteSizes.format(minimumBytes) +
                "; use a larger device or a smaller --unit");
        }
        final byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        final ByteBuffer idBuffer = ByteBuffer.wrap(id);
        final Superblock sb = PoolLayout.forNewPool(sizeBytes, options.unitBytes(), options.maxPartitions(),
            io.logicalSectorBytes(), idBuffer.getLong(), idBuffer.getLong(), nowMillis);

        // Wipe the superblocks first so that a crash mid-create cannot leave an older pool's newer
        // generation looking valid. Then give the whole device back to thin storage (best effort:
        // not every device discards) and zero where foreign signatures live: the first 68 KiB
        // (btrfs at 64 KiB lies in metadata pages that stay unwritten until used) and the last
        // 64 KiB (the backup GPT).
        zero(io, 0, SuperblockDescriptor.SUPERBLOCK_AREA_BYTES);
        io.flush();
        try
        {
            io.release(0, sizeBytes / io.logicalSectorBytes() * io.logicalSectorBytes());
        }
        catch (final IOException ex)
        {
            // Discard only saves space here; zeroing below is what matters for correctness.
        }
        zero(io, 0, Signatures.HEAD_BYTES);
        final int sector = io.logicalSectorBytes();
        final long tail = Math.min(64L << 10, sizeBytes - sb.reservedUnits * sb.unitBytes) / sector * sector;
        zero(io, sizeBytes / sector * sector - tail, tail);

        final PoolMetadata meta = PoolMetadata.empty(sb);
        meta.commit(io, 0, nowMillis);
        meta.commit(io, 1, nowMillis);
        return new Pool(io, meta, true);
    }

    /** Opens the pool on {@code device} for changes. */
    public static Pool open(final Path device) throws IOException
    {
        return open(device, true);
    }

    /** Opens the pool on {@code device} for reading only (listings). */
    public static Pool openReadOnly(final Path device) throws IOException
    {
        return open(device, false);
    }

    private static Pool open(final Path device, final boolean writable) throws IOException
    {
        final PoolIo io = BlockDevicePoolIo.open(device, writable);
        try
        {
            return open(io, writable);
        }
        catch (final IOException | RuntimeException ex)
        {
            io.close();
            throw ex;
        }
    }

    static Pool open(final PoolIo io, final boolean writable) throws IOException
    {
        final PoolMetadata meta = PoolMetadata.read(io);
        final long sizeBytes = io.sizeBytes();
        if (sizeBytes < meta.sb.unitCount * meta.sb.unitBytes)
        {
            throw new IOException(io.path() + " has " + ByteSizes.format(sizeBytes) + " but its pool spans " +
                ByteSizes.format(meta.sb.unitCount * meta.sb.unitBytes) + "; the device shrank");
        }
        return new Pool(io, meta, writable);
    }

    public PoolInfo info()
    {
        final Superblock sb = meta.sb;
        return new PoolInfo(io.path().toString(), HexFormat.of().toHexDigits(sb.poolIdHigh) + HexFormat.of().toHexDigits(sb.poolIdLow),
            sb.generation, sb.unitBytes, sb.unitCount, sb.reservedUnits, meta.free.freeUnits(), meta.free.largestExtentUnits(),
            meta.partitions.size(), sb.maxPartitions, meta.recoveryNote);
    }

    public List<PartitionInfo> partitions()
    {
        final List<PartitionInfo> list = new ArrayList<>(meta.partitions.size());
        for (final PartitionEntry e : meta.partitions)
        {
            list.add(PartitionInfo.of(e, meta.sb.unitBytes));
        }
        return list;
    }

    public Optional<PartitionInfo> partition(final String name)
    {
        final PartitionEntry e = meta.find(name);
        return e == null ? Optional.empty() : Optional.of(PartitionInfo.of(e, meta.sb.unitBytes));
    }

    /**
     * Allocates a partition with at least {@code sizeBytes} of data space (plus headroom for its
     * extent-map pages and job state) for a master of
     * {@code master.sizeBytes()} logical bytes: one contiguous segment when the pool has one big
     * enough (the best fit), else the fewest segments. The space is discarded, then reserved (fallocate
     * ZERO_RANGE), then committed.
     *
     * @throws RefusedException on a name clash, a full partition table, or too little free space;
     *         nothing changes.
     */
    public PartitionInfo allocate(final String name, final MasterIdentity master, final long sizeBytes) throws IOException
    {
        requireWritable();
        final String nameProblem = PartitionEntry.checkName(name);
        if (nameProblem != null)
        {
            throw new RefusedException(nameProblem + "; pick another name");
        }
        if (sizeBytes <= 0)
        {
            throw new RefusedException("a partition needs a positive size, not " + sizeBytes + " bytes");
        }
        if (meta.find(name) != null)
        {
            throw new RefusedException("pool " + io.path() + " already has a partition named '" + name +
                "'; pick another name or delete that one first");
        }
        if (meta.partitions.size() >= meta.sb.maxPartitions)
        {
            throw new RefusedException("pool " + io.path() + " already holds its maximum of " + meta.sb.maxPartitions +
                " partitions; delete one first");
        }
        final PoolMetadata next = meta.copy();
        final PartitionEntry entry = new PartitionEntry();
        entry.name = name;
        entry.master = master;
        entry.logicalSizeBytes = master.sizeBytes();
        entry.state = PartitionState.ALLOCATED;
        entry.createdMillis = System.currentTimeMillis();
        // Headroom for the extent-map pages and job state on top of the data size, so a partition of S
        // bytes can hold S bytes of data and still commit its metadata.
        final List<Segment> added = addSpace(next, entry, sizeBytes + Partition.METADATA_HEADROOM_BYTES, sizeBytes, false, name);
        next.partitions.add(entry);
        applyAndCommit(next, added);
        return PartitionInfo.of(entry, meta.sb.unitBytes);
    }

    /**
     * Adds at least {@code bytes} of data space to partition {@code name}, right after its last
     * segment when those units are free, elsewhere (best fit) for the rest; counts the extension.
     *
     * @throws RefusedException when the partition does not exist or the pool lacks the space; nothing changes.
     */
    public PartitionInfo extend(final String name, final long bytes) throws IOException
    {
        requireWritable();
        if (bytes <= 0)
        {
            throw new RefusedException("an extension needs a positive size, not " + bytes + " bytes");
        }
        final PoolMetadata next = meta.copy();
        final PartitionEntry entry = existing(next, name);
        final List<Segment> added = addSpace(next, entry, bytes, bytes, true, name);
        entry.extensionCount++;
        // An open partition's uncommitted writes stay uncommitted: the committed entry only gains space.
        final Partition partition = open.get(name);
        applyAndCommit(next, added);
        if (partition != null)
        {
            partition.refreshSpace(entry);
        }
        return PartitionInfo.of(entry, meta.sb.unitBytes);
    }

    /**
     * Gives the partition's unused reserved units back to the pool (and the storage below, with a
     * discard).
     *
     * @return bytes given back.
     */
    public long trim(final String name) throws IOException
    {
        requireWritable();
        refuseIfOpen(name, "trim");
        final PoolMetadata next = meta.copy();
        final PartitionEntry entry = existing(next, name);
        final long unitBytes = meta.sb.unitBytes;
        // The committed entry records the data high water: everything its map, tree pages and job
        // state use lies below it (allocation prefers low offsets), so whatever lies beyond it is
        // unused: whole trailing segments go back, and the segment holding the high water shrinks to
        // the units it needs (its checksum pages stay as they are: they sit in front of its data).
        final List<Segment> released = new ArrayList<>();
        long dataBefore = 0;
        for (int i = 0; i < entry.segments.size(); i++)
        {
            final Segment s = entry.segments.get(i);
            // At least one block stays, so the partition keeps a segment.
            final long needed = Math.max(entry.dataHighWater, Partition.BLOCK) - dataBefore;
            dataBefore += s.dataBytes(unitBytes);
            if (needed <= 0)
            {
                released.add(s);
                entry.segments.remove(i--);
                continue;
            }
            final long keepUnits = Math.min(s.lengthUnits(),
                ((long)s.checksumPages() * MetadataPageDescriptor.PAGE_BYTES + needed + unitBytes - 1) / unitBytes);
            if (keepUnits < s.lengthUnits())
            {
                released.add(new Segment(s.startUnit() + keepUnits, s.lengthUnits() - keepUnits, 0));
                entry.segments.set(i, new Segment(s.startUnit(), keepUnits, s.checksumPages()));
            }
        }
        long bytes = 0;
        for (final Segment s : released)
        {
            next.free.free(s.startUnit(), s.lengthUnits());
            bytes += s.lengthUnits() * unitBytes;
        }
        if (released.isEmpty())
        {
            return 0;
        }
        commitThenRelease(next, released);
        return bytes;
    }

    private void refuseIfOpen(final String name, final String what) throws RefusedException
    {
        if (open.containsKey(name))
        {
            throw new RefusedException("partition '" + name + "' is open for data; close it before you " + what + " it");
        }
    }

    /** Deletes partition {@code name}: commits the table without it, then discards its space. */
    public void delete(final String name) throws IOException
    {
        requireWritable();
        refuseIfOpen(name, "delete");
        final PoolMetadata next = meta.copy();
        final PartitionEntry entry = existing(next, name);
        for (final Segment s : entry.segments)
        {
            next.free.free(s.startUnit(), s.lengthUnits());
        }
        next.partitions.remove(entry);
        commitThenRelease(next, entry.segments);
    }

    /**
     * Opens partition {@code name} for data: loads its committed extent map (checking its CRC).
     *
     * @throws RefusedException when there is no such partition or it is open already.
     */
    public Partition openPartition(final String name) throws IOException
    {
        requireWritable();
        final PartitionEntry entry = existing(meta, name);
        if (open.containsKey(name))
        {
            throw new RefusedException("partition '" + name + "' is open already; close it first");
        }
        final PartitionEntry before = previous == null ? null : previous.find(name);
        final Partition partition = new Partition(this, io, entry, before, meta.sb.unitBytes, true);
        open.put(name, partition);
        return partition;
    }

    /**
     * Opens partition {@code name} for reading only, also on a pool opened read-only (verification):
     * its committed extent map, not registered as open, never committed.
     *
     * @throws RefusedException when there is no such partition.
     */
    public Partition viewPartition(final String name) throws IOException
    {
        final PartitionEntry entry = existing(meta, name);
        return new Partition(this, io, entry, null, meta.sb.unitBytes, false);
    }

    /** The commit of {@link Partition#commit}: data, CRCs, tree pages and job state flushed, then the metadata. */
    void commitPartition(final Partition partition) throws IOException
    {
        requireWritable();
        final PoolMetadata next = meta.copy();
        final PartitionEntry entry = existing(next, partition.name());
        // Tree pages and job state go to space the committed entry does not use; commit() flushes them with the data.
        partition.prepareCommit(entry);
        if (entry.state == PartitionState.ALLOCATED)
        {
            entry.state = PartitionState.COPYING;
        }
        commit(next);
        partition.committed();
    }

    void partitionClosed(final Partition partition)
    {
        open.remove(partition.name(), partition);
    }

    /**
     * Writes the committed content of partition {@code name} as a full logical image to {@code target}
     * (a file, created sparse, or a block device); unmapped ranges become holes or are discarded.
     *
     * @throws RefusedException when the partition is open; when the target is a non-empty file, a device carrying a
     *         known signature (a filesystem, a pool, ...) or the partition's own master and {@code overwrite} is false;
     *         or when the target device is too small or is the pool's own.
     */
    public ExportResult export(final String name, final Path target, final boolean overwrite) throws IOException
    {
        return export(name, target, overwrite, null);
    }

    /**
     * As {@link #export(String, Path, boolean)}, telling {@code progress} (when not null) the bytes of the image done so
     * far, as {@link DeviceCopy.Progress} says (through the ring; the synchronous fallback tells nothing).
     */
    public ExportResult export(final String name, final Path target, final boolean overwrite, final DeviceCopy.Progress progress)
        throws IOException
    {
        refuseIfOpen(name, "export");
        final PartitionEntry entry = existing(meta, name);
        try (Partition partition = new Partition(this, io, entry, null, meta.sb.unitBytes, false))
        {
            return PartitionExport.export(partition, entry.master, io, target, overwrite, progress);
        }
    }

    /** Sets the life-cycle state of partition {@code name} (one commit). */
    public void setState(final String name, final PartitionState state) throws IOException
    {
        requireWritable();
        final PoolMetadata next = meta.copy();
        existing(next, name).state = state;
        commit(next);
    }

    @Override
    public void close() throws IOException
    {
        if (!closed)
        {
            for (final Partition partition : new ArrayList<>(open.values()))
            {
                partition.close();
            }
            closed = true;
            io.close();
        }
    }

    private PartitionEntry existing(final PoolMetadata m, final String name) throws RefusedException
    {
        final PartitionEntry e = m.find(name);
        if (e == null)
        {
            throw new RefusedException("pool " + io.path() + " has no partition named '" + name +
                "'; 'presync pool list --pool " + io.path() + "' shows them");
        }
        return e;
    }

    /**
     * Takes units from {@code m.free} until {@code entry} has {@code bytes} more data space, adjacent to
     * its last segment first when {@code adjacentFirst}; returns the new segments (already in the entry).
     */
    private List<Segment> addSpace(
        final PoolMetadata m, final PartitionEntry entry, final long bytes, final long requestedBytes, final boolean adjacentFirst,
        final String name)
        throws RefusedException
    {
        final long unitBytes = m.sb.unitBytes;
        final long freeBefore = m.free.freeUnits();
        final List<Segment> added = new ArrayList<>();
        long remaining = bytes;
        boolean tryAdjacent = adjacentFirst && !entry.segments.isEmpty();
        while (remaining > 0)
        {
            // Units that give `remaining` data bytes in one segment, checksum pages included.
            long units = (remaining + unitBytes - 1) / unitBytes;
            while (Segment.of(0, units, unitBytes).dataBytes(unitBytes) < remaining)
            {
                units++;
            }
            final List<long[]> taken = new ArrayList<>();
            if (tryAdjacent)
            {
                tryAdjacent = false;
                final long end = entry.segments.get(entry.segments.size() - 1).endUnit();
                final long run = Math.min(m.free.freeRunAt(end), Math.min(units, MAX_SEGMENT_UNITS));
                if (run > 0 && m.free.allocateAt(end, run))
                {
                    taken.add(new long[] {end, run});
                }
            }
            if (taken.isEmpty())
            {
                if (m.free.freeUnits() == 0)
                {
                    throw tooSmall(name, requestedBytes, freeBefore, unitBytes);
                }
                taken.addAll(m.free.allocate(Math.min(units, m.free.freeUnits())));
            }
            for (final long[] t : taken)
            {
                for (long start = t[0]; start < t[0] + t[1]; start += MAX_SEGMENT_UNITS)
                {
                    final Segment s = Segment.of(start, Math.min(MAX_SEGMENT_UNITS, t[0] + t[1] - start), unitBytes);
                    entry.segments.add(s);
                    added.add(s);
                    remaining -= s.dataBytes(unitBytes);
                }
            }
            if (entry.segments.size() > PartitionEntryDescriptor.MAX_SEGMENTS)
            {
                throw new RefusedException("partition '" + name + "' would need more than " + PartitionEntryDescriptor.MAX_SEGMENTS +
                    " segments in this fragmented pool; free contiguous space first");
            }
        }
        return added;
    }

    private RefusedException tooSmall(final String name, final long bytes, final long freeUnits, final long unitBytes)
    {
        return new RefusedException("pool " + io.path() + " has " + ByteSizes.format(freeUnits * unitBytes) + " free but '" + name +
            "' needs " + ByteSizes.format(bytes) + " (plus checksum pages); free space or use a larger pool");
    }

    /** Prepares the new segments on the device (discard, then reserve), commits, and adopts {@code next}. */
    private void applyAndCommit(final PoolMetadata next, final List<Segment> added) throws IOException
    {
        final long unitBytes = meta.sb.unitBytes;
        for (final Segment s : added)
        {
            // Discard first so thin storage forgets old contents, then reserve so it really holds the space.
            io.release(s.startUnit() * unitBytes, s.lengthUnits() * unitBytes);
            io.reserve(s.startUnit() * unitBytes, s.lengthUnits() * unitBytes);
        }
        commit(next);
    }

    /** Commits {@code next}, then discards the given segments (no longer owned, so a crash in between only leaks zeros). */
    private void commitThenRelease(final PoolMetadata next, final List<Segment> released) throws IOException
    {
        commit(next);
        final long unitBytes = meta.sb.unitBytes;
        for (final Segment s : released)
        {
            io.release(s.startUnit() * unitBytes, s.lengthUnits() * unitBytes);
        }
    }

    private void commit(final PoolMetadata next) throws IOException
    {
        next.checkCoverage();
        next.commit(io, meta.sb.generation + 1, System.currentTimeMillis());
        next.recoveryNote = null;
        previous = meta;
        previous.previous = null;
        meta = next;
    }

    private void requireWritable()
    {
        if (!writable)
        {
            throw new IllegalStateException("pool " + io.path() + " was opened read-only");
        }
        if (closed)
        {
            throw new IllegalStateException("pool " + io.path() + " is closed");
        }
    }

    private static void zero(final PoolIo io, final long offsetBytes, final long lengthBytes) throws IOException
    {
        final ByteBuffer zeros = ByteBuffer.allocate((int)Math.min(lengthBytes, 1L << 20));
        long done = 0;
        while (done < lengthBytes)
        {
            final int n = (int)Math.min(zeros.capacity(), lengthBytes - done);
            io.write(offsetBytes + done, zeros.clear().limit(n));
            done += n;
        }
    }
}
