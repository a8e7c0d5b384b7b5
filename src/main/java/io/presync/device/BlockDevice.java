package io.presync.device;

import io.presync.RefusedException;
import io.presync.ffi.DeviceBusyException;
import io.presync.ffi.FileStatus;
import io.presync.ffi.Libc;
import io.presync.ffi.NotSupportedException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An open block device (or, where the caller allows it, a regular file) for direct I/O: always
 * O_DIRECT, O_EXCL on block devices unless {@link OpenOptions#exclusive()} is false.
 * <p>
 * Opening refuses, with one sentence naming the fix ({@link RefusedException}): a path that does not
 * exist, a path that is not a block device (regular files only with
 * {@link OpenOptions#allowRegularFile()}), and, for writing, a device that is mounted, carries a
 * mounted partition, is held by device-mapper/md, is swap, or is held open exclusively by another
 * process. Reading a mounted device is allowed.
 * <p>
 * Geometry comes from the kernel: size (BLKGETSIZE64; {@code st_size} for files), logical and
 * physical sector size (BLKSSZGET, BLKPBSZGET), discard and write-zeroes limits from
 * {@code /sys/dev/block/MAJ:MIN/queue}. Every range argument must be a multiple of the logical
 * sector size and lie within the device, otherwise {@link IllegalArgumentException} says which
 * number to align or shorten before anything reaches the kernel.
 * <p>
 * Space: {@link #reserve} allocates a range (fallocate ZERO_RANGE: on a loop device over a sparse
 * file the loop driver turns it into ZERO_RANGE on the backing file, which allocates it),
 * {@link #release} gives it back (BLKDISCARD: a hole punched in a loop device's backing file),
 * {@link #zeroOut} writes zeroes (BLKZEROOUT). For loop devices {@link #backingFile()},
 * {@link #allocatedBytes()} and {@link #forEachAllocatedExtent} describe the backing file's
 * allocation (SEEK_DATA/SEEK_HOLE), in device coordinates.
 * <p>
 * For regular files the logical sector size is 4096 (safe for O_DIRECT on every common file
 * system), the discard and write-zeroes limits are reported as 0 and the file itself is the
 * allocation map.
 */
public final class BlockDevice implements AutoCloseable
{
    /** Sector size assumed for regular files opened with O_DIRECT. */
    public static final int REGULAR_FILE_SECTOR_BYTES = 4096;

    private final Path path;
    private final String name;
    private final int fd;
    private final boolean blockDevice;
    private final boolean readOnly;
    private final int major;
    private final int minor;
    private final long sizeBytes;
    private final int logicalSectorBytes;
    private final int physicalSectorBytes;
    private final long discardGranularityBytes;
    private final long discardMaxBytes;
    private final long writeZeroesMaxBytes;
    private final Path backingFile;
    private final long backingOffsetBytes;
    private boolean closed;

    private BlockDevice(final Path path, final int fd, final FileStatus status, final boolean readOnly)
        throws IOException
    {
        this.path = path;
        this.name = path.toString();
        this.fd = fd;
        this.readOnly = readOnly;
        this.blockDevice = status.isBlockDevice();
        if (blockDevice)
        {
            major = status.major();
            minor = status.minor();
            sizeBytes = Libc.ioctlLong(fd, Libc.BLKGETSIZE64, name);
            logicalSectorBytes = Libc.ioctlInt(fd, Libc.BLKSSZGET, name);
            physicalSectorBytes = Libc.ioctlInt(fd, Libc.BLKPBSZGET, name);
            final Path sys = DeviceUsage.SYS_DEV_BLOCK.resolve(major + ":" + minor);
            Path queue = sys.resolve("queue");
            if (!Files.isDirectory(queue))
            {
                queue = sys.resolve("..").resolve("queue"); // a partition: the limits are its disk's
            }
            discardGranularityBytes = readSysLong(queue.resolve("discard_granularity"));
            discardMaxBytes = readSysLong(queue.resolve("discard_max_bytes"));
            writeZeroesMaxBytes = readSysLong(queue.resolve("write_zeroes_max_bytes"));
            final Path loop = sys.resolve("loop");
            if (Files.isDirectory(loop) && Files.exists(loop.resolve("backing_file")))
            {
                String file = Files.readString(loop.resolve("backing_file"), StandardCharsets.UTF_8).strip();
                if (file.endsWith(" (deleted)"))
                {
                    file = file.substring(0, file.length() - " (deleted)".length());
                }
                backingFile = Path.of(file);
                backingOffsetBytes = readSysLong(loop.resolve("offset"));
            }
            else
            {
                backingFile = null;
                backingOffsetBytes = 0;
            }
        }
        else
        {
            major = 0;
            minor = 0;
            sizeBytes = status.sizeBytes();
            logicalSectorBytes = REGULAR_FILE_SECTOR_BYTES;
            physicalSectorBytes = Math.max(REGULAR_FILE_SECTOR_BYTES, status.blockSizeBytes());
            discardGranularityBytes = 0;
            discardMaxBytes = 0;
            writeZeroesMaxBytes = 0;
            backingFile = null;
            backingOffsetBytes = 0;
        }
    }

    /**
     * Opens a device.
     *
     * @throws RefusedException when the path is missing, not a block device, or (for writing) in use.
     * @throws IOException      when the kernel fails a call for another reason.
     */
    public static BlockDevice open(final Path path, final OpenOptions options) throws IOException
    {
        final String name = path.toString();
        final FileStatus status;
        try
        {
            status = Libc.stat(name);
        }
        catch (final NoSuchFileException ex)
        {
            throw new RefusedException(name + " does not exist; check the device path", ex);
        }
        catch (final AccessDeniedException ex)
        {
            throw new RefusedException("permission denied for " + name + "; run presync as root", ex);
        }

        if (!status.isBlockDevice())
        {
            if (!status.isRegularFile())
            {
                throw new RefusedException(name + " is not a block device; give a block device such as /dev/sdb or /dev/loop0");
            }
            if (!options.allowRegularFile())
            {
                throw new RefusedException(name + " is a regular file, not a block device; give a block device " +
                    "such as /dev/sdb or /dev/loop0 (attach a file with losetup)");
            }
        }
        else if (!options.readOnly())
        {
            final String inUse = DeviceUsage.whyInUse(name, status.major(), status.minor());
            if (inUse != null)
            {
                throw new RefusedException(inUse);
            }
        }

        int flags = (options.readOnly() ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_DIRECT | Libc.O_CLOEXEC;
        if (status.isBlockDevice() && options.exclusive())
        {
            flags |= Libc.O_EXCL;
        }
        final int fd;
        try
        {
            fd = Libc.open(name, flags, 0);
        }
        catch (final DeviceBusyException ex)
        {
            throw new RefusedException(name + " is in use by another process (held open exclusively); " +
                "stop it or choose another device", ex);
        }
        catch (final NoSuchFileException ex)
        {
            throw new RefusedException(name + " has no storage behind it (an unattached loop device?); " +
                "attach it or choose another device", ex);
        }
        catch (final AccessDeniedException ex)
        {
            throw new RefusedException("permission denied opening " + name + (options.readOnly() ? "" :
                " for writing (is it read-only?)") + "; run presync as root or choose another device", ex);
        }

        try
        {
            final FileStatus opened = Libc.fstat(fd, name);
            if (opened.isBlockDevice() != status.isBlockDevice() || opened.rdev() != status.rdev())
            {
                throw new RefusedException(name + " changed while it was being opened; try again");
            }
            return new BlockDevice(path, fd, opened, options.readOnly());
        }
        catch (final IOException | RuntimeException ex)
        {
            try
            {
                Libc.close(fd);
            }
            catch (final IOException suppressed)
            {
                ex.addSuppressed(suppressed);
            }
            throw ex;
        }
    }

    private static long readSysLong(final Path file) throws IOException
    {
        if (!Files.exists(file))
        {
            return 0;
        }
        final String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        try
        {
            return text.isEmpty() ? 0 : Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IOException(file + ": expected a number, found '" + text + "'", ex);
        }
    }

    public int fd()
    {
        return fd;
    }

    public Path path()
    {
        return path;
    }

    public boolean isBlockDevice()
    {
        return blockDevice;
    }

    public boolean isReadOnly()
    {
        return readOnly;
    }

    /** {@code "MAJ:MIN"} of a block device, null for a regular file. */
    public String majorMinor()
    {
        return blockDevice ? major + ":" + minor : null;
    }

    public long sizeBytes()
    {
        return sizeBytes;
    }

    public int logicalSectorBytes()
    {
        return logicalSectorBytes;
    }

    public int physicalSectorBytes()
    {
        return physicalSectorBytes;
    }

    public long discardGranularityBytes()
    {
        return discardGranularityBytes;
    }

    public long discardMaxBytes()
    {
        return discardMaxBytes;
    }

    public long writeZeroesMaxBytes()
    {
        return writeZeroesMaxBytes;
    }

    /** The file behind a loop device. */
    public Optional<Path> backingFile()
    {
        return Optional.ofNullable(backingFile);
    }

    /** Bytes allocated in the loop device's backing file (or in the regular file); empty otherwise. */
    public OptionalLong allocatedBytes() throws IOException
    {
        if (backingFile != null)
        {
            return OptionalLong.of(Libc.stat(backingFile.toString()).allocatedBytes());
        }
        if (!blockDevice)
        {
            return OptionalLong.of(Libc.fstat(fd, name).allocatedBytes());
        }
        return OptionalLong.empty();
    }

    /** True when {@link #forEachAllocatedExtent} can tell allocated from unallocated ranges. */
    public boolean hasAllocationMap()
    {
        return backingFile != null || !blockDevice;
    }

    /**
     * Hands every allocated extent of the loop device's backing file (or the regular file) to the
     * consumer in ascending order, in device coordinates and clipped to the device.
     *
     * @throws UnsupportedOperationException for block devices without a backing file.
     */
    public void forEachAllocatedExtent(final AllocatedExtentConsumer consumer) throws IOException
    {
        if (!hasAllocationMap())
        {
            throw new UnsupportedOperationException(name + " is not a loop device, so its allocation is unknown");
        }
        final boolean ownFd = backingFile != null;
        final String file = ownFd ? backingFile.toString() : name;
        final int mapFd = ownFd ? Libc.open(file, Libc.O_RDONLY | Libc.O_CLOEXEC, 0) : fd;
        try
        {
            final long start = backingOffsetBytes;
            final long end = backingOffsetBytes + sizeBytes;
            long position = start;
            while (position < end)
            {
                final long data = Libc.lseek(mapFd, position, Libc.SEEK_DATA, file);
                if (data < 0 || data >= end)
                {
                    break;
                }
                long hole = Libc.lseek(mapFd, data, Libc.SEEK_HOLE, file);
                if (hole < 0 || hole > end)
                {
                    hole = end;
                }
                consumer.accept(data - backingOffsetBytes, hole - backingOffsetBytes);
                position = hole;
            }
        }
        finally
        {
            if (ownFd)
            {
                Libc.close(mapFd);
            }
        }
    }

    /**
     * Allocates {@code [offsetBytes, offsetBytes + lengthBytes)} and makes it read as zeroes:
     * fallocate ZERO_RANGE|KEEP_SIZE. When the device does not support it, a loop device falls back to
     * punching the range in its backing file and fallocating it there (mode KEEP_SIZE), which is the
     * same result; other block devices fall back to BLKZEROOUT.
     */
    public void reserve(final long offsetBytes, final long lengthBytes) throws IOException
    {
        checkWritableRange("reserve", offsetBytes, lengthBytes);
        if (lengthBytes == 0)
        {
            return;
        }
        try
        {
            Libc.fallocate(fd, Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE, offsetBytes, lengthBytes, name);
        }
        catch (final NotSupportedException ex)
        {
            reserveSlowPath(offsetBytes, lengthBytes, ex);
        }
    }

    private void reserveSlowPath(final long offsetBytes, final long lengthBytes, final NotSupportedException cause)
        throws IOException
    {
        if (backingFile != null || !blockDevice)
        {
            final String file = backingFile != null ? backingFile.toString() : name;
            final int fileFd = backingFile != null ? Libc.open(file, Libc.O_RDWR | Libc.O_CLOEXEC, 0) : fd;
            try
            {
                final long fileOffset = offsetBytes + backingOffsetBytes;
                Libc.fallocate(fileFd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, fileOffset, lengthBytes, file);
                Libc.fallocate(fileFd, Libc.FALLOC_FL_KEEP_SIZE, fileOffset, lengthBytes, file);
            }
            finally
            {
                if (fileFd != fd)
                {
                    Libc.close(fileFd);
                }
            }
            return;
        }
        try
        {
            Libc.ioctlRange(fd, Libc.BLKZEROOUT, offsetBytes, lengthBytes, name);
        }
        catch (final IOException ex)
        {
            ex.addSuppressed(cause);
            throw ex;
        }
    }

    /**
     * Gives {@code [offsetBytes, offsetBytes + lengthBytes)} back to the storage: BLKDISCARD (a hole in
     * a loop device's backing file). Without discard support, a loop device punches the hole in its
     * backing file and other devices use fallocate PUNCH_HOLE (which the block layer turns into
     * write-zeroes with unmap). The range reads as zeroes on loop devices afterwards; on other
     * devices its contents are unspecified.
     */
    public void release(final long offsetBytes, final long lengthBytes) throws IOException
    {
        checkWritableRange("release", offsetBytes, lengthBytes);
        if (lengthBytes == 0)
        {
            return;
        }
        if (!blockDevice)
        {
            Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offsetBytes, lengthBytes, name);
            return;
        }
        try
        {
            Libc.ioctlRange(fd, Libc.BLKDISCARD, offsetBytes, lengthBytes, name);
        }
        catch (final NotSupportedException ex)
        {
            if (backingFile != null)
            {
                final String file = backingFile.toString();
                final int fileFd = Libc.open(file, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
                try
                {
                    Libc.fallocate(fileFd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE,
                        offsetBytes + backingOffsetBytes, lengthBytes, file);
                }
                finally
                {
                    Libc.close(fileFd);
                }
            }
            else
            {
                Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offsetBytes, lengthBytes, name);
            }
        }
    }

    /** Writes zeroes over the range (BLKZEROOUT; fallocate ZERO_RANGE, else PUNCH_HOLE, for files). */
    public void zeroOut(final long offsetBytes, final long lengthBytes) throws IOException
    {
        checkWritableRange("zeroOut", offsetBytes, lengthBytes);
        if (lengthBytes == 0)
        {
            return;
        }
        if (blockDevice)
        {
            Libc.ioctlRange(fd, Libc.BLKZEROOUT, offsetBytes, lengthBytes, name);
            return;
        }
        try
        {
            Libc.fallocate(fd, Libc.FALLOC_FL_ZERO_RANGE | Libc.FALLOC_FL_KEEP_SIZE, offsetBytes, lengthBytes, name);
        }
        catch (final NotSupportedException ex)
        {
            Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offsetBytes, lengthBytes, name);
        }
    }

    /** Flushes written data to stable storage (fsync). */
    public void flush() throws IOException
    {
        Libc.fsync(fd, name);
    }

    /**
     * Reads {@code buffer.byteSize()} bytes at {@code offsetBytes} synchronously (pread), for metadata
     * and verification; bulk I/O goes through the io_uring {@code Ring}. Buffer address, length and
     * offset must be sector aligned ({@link #checkDirectIo}).
     */
    public void read(final MemorySegment buffer, final long offsetBytes) throws IOException
    {
        checkDirectIo(buffer, buffer.byteSize(), offsetBytes);
        long done = 0;
        while (done < buffer.byteSize())
        {
            final long n = Libc.pread(fd, buffer.asSlice(done), buffer.byteSize() - done, offsetBytes + done, name);
            if (n == 0)
            {
                throw new IOException(name + ": pread: unexpected end of device at offset " + (offsetBytes + done));
            }
            done += n;
        }
    }

    /** Writes the whole buffer at {@code offsetBytes} synchronously (pwrite); alignment as {@link #read}. */
    public void write(final MemorySegment buffer, final long offsetBytes) throws IOException
    {
        if (readOnly)
        {
            throw new IllegalStateException(name + " was opened read-only; open it for writing to write");
        }
        checkDirectIo(buffer, buffer.byteSize(), offsetBytes);
        long done = 0;
        while (done < buffer.byteSize())
        {
            done += Libc.pwrite(fd, buffer.asSlice(done), buffer.byteSize() - done, offsetBytes + done, name);
        }
    }

    /**
     * Checks what O_DIRECT needs before a request reaches the kernel (which would only say EINVAL):
     * a native buffer whose address, the length and the offset are multiples of the logical sector
     * size, and a range inside the device.
     *
     * @throws IllegalArgumentException naming the number to fix.
     */
    public void checkDirectIo(final MemorySegment buffer, final long lengthBytes, final long offsetBytes)
    {
        if (!buffer.isNative())
        {
            throw new IllegalArgumentException("the buffer is on the Java heap; direct I/O needs native memory " +
                "from BlockDevice.allocateAligned");
        }
        if (buffer.address() % logicalSectorBytes != 0)
        {
            throw new IllegalArgumentException("buffer address 0x" + Long.toHexString(buffer.address()) +
                " is not a multiple of " + name + "'s " + logicalSectorBytes + "-byte logical sector; " +
                "allocate it with BlockDevice.allocateAligned");
        }
        if (lengthBytes > buffer.byteSize())
        {
            throw new IllegalArgumentException("length " + lengthBytes + " is larger than the " +
                buffer.byteSize() + "-byte buffer; use a larger buffer");
        }
        checkRange("direct I/O", offsetBytes, lengthBytes);
    }

    /**
     * Checks that a byte range is sector aligned and inside the device.
     *
     * @throws IllegalArgumentException naming the number to fix.
     */
    public void checkRange(final String what, final long offsetBytes, final long lengthBytes)
    {
        if (offsetBytes < 0 || lengthBytes < 0)
        {
            throw new IllegalArgumentException(what + ": offset " + offsetBytes + " and length " + lengthBytes +
                " must not be negative");
        }
        if (offsetBytes % logicalSectorBytes != 0)
        {
            throw new IllegalArgumentException("offset " + offsetBytes + " is not a multiple of " + name + "'s " +
                logicalSectorBytes + "-byte logical sector; align it");
        }
        if (lengthBytes % logicalSectorBytes != 0)
        {
            throw new IllegalArgumentException("length " + lengthBytes + " is not a multiple of " + name + "'s " +
                logicalSectorBytes + "-byte logical sector; align it");
        }
        if (offsetBytes > sizeBytes || lengthBytes > sizeBytes - offsetBytes)
        {
            throw new IllegalArgumentException(what + " of " + lengthBytes + " bytes at offset " + offsetBytes +
                " ends past the end of " + name + " (" + sizeBytes + " bytes); shorten it");
        }
    }

    private void checkWritableRange(final String what, final long offsetBytes, final long lengthBytes)
    {
        if (readOnly)
        {
            throw new IllegalStateException(name + " was opened read-only; open it for writing to " + what);
        }
        checkRange(what, offsetBytes, lengthBytes);
    }

    /**
     * Native memory for direct I/O: {@code bytes} long, its address a multiple of {@code alignment}
     * (a power of two; use at least the logical sector size, 4096 to suit every device).
     */
    public static MemorySegment allocateAligned(final Arena arena, final long bytes, final long alignment)
    {
        if (alignment <= 0 || Long.bitCount(alignment) != 1)
        {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        if (bytes < 0)
        {
            throw new IllegalArgumentException("buffer size " + bytes + " is negative");
        }
        return arena.allocate(bytes, alignment);
    }

    /**
     * True when two open block devices share storage: the same device, or one is a partition of the
     * other. Regular files never overlap a device here (compare their paths yourself).
     */
    public static boolean overlap(final BlockDevice a, final BlockDevice b) throws IOException
    {
        if (!a.blockDevice || !b.blockDevice)
        {
            return false;
        }
        final String aId = a.majorMinor();
        final String bId = b.majorMinor();
        if (aId.equals(bId))
        {
            return true;
        }
        for (final String[] partition : DeviceUsage.partitionsOf(DeviceUsage.SYS_DEV_BLOCK, aId))
        {
            if (partition[1].equals(bId))
            {
                return true;
            }
        }
        for (final String[] partition : DeviceUsage.partitionsOf(DeviceUsage.SYS_DEV_BLOCK, bId))
        {
            if (partition[1].equals(aId))
            {
                return true;
            }
        }
        return false;
    }

    /** Closes the descriptor; idempotent. */
    @Override
    public void close() throws IOException
    {
        if (!closed)
        {
            closed = true;
            Libc.close(fd);
        }
    }

    @Override
    public String toString()
    {
        return name;
    }
}
