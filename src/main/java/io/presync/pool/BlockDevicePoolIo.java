package io.presync.pool;

import io.presync.RefusedException;
import io.presync.device.BlockDevice;
import io.presync.ffi.DeviceBusyException;
import io.presync.device.OpenOptions;
import io.presync.ffi.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * {@link PoolIo} over a {@link BlockDevice}: O_DIRECT (and O_EXCL when writing) with synchronous
 * pread/pwrite through one aligned bounce buffer, fsync for flushes, BLKDISCARD and fallocate
 * ZERO_RANGE for space (in the backing file for a loop device without write-zeroes). Metadata I/O is small and rare, so copying through the bounce buffer costs
 * nothing that matters; the data path will use the io_uring Ring with registered buffers instead.
 */
final class BlockDevicePoolIo implements PoolIo
{
    private static final long ALIGNMENT = 4096;
    private static final int BUSY_RETRIES = 30;
    private static final long BUSY_RETRY_MILLIS = 100;

    private final BlockDevice device;
    private final Arena arena = Arena.ofShared();
    private MemorySegment bounce;
    private boolean closed;

    private BlockDevicePoolIo(final BlockDevice device)
    {
        this.device = device;
        this.bounce = BlockDevice.allocateAligned(arena, 64 << 10, ALIGNMENT);
    }

    /**
     * Opens {@code path} for the pool: for writing it must not be mounted or otherwise in use
     * (BlockDevice refuses that, naming the holder); regular files are accepted for images.
     */
    static BlockDevicePoolIo open(final Path path, final boolean writable) throws IOException
    {
        final OpenOptions options = (writable ? OpenOptions.forWriting() : OpenOptions.forReading()).withAllowRegularFile(true);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return new BlockDevicePoolIo(BlockDevice.open(path, options));
            }
            catch (final RefusedException ex)
            {
                // A process killed with I/O in flight on an io_uring holds the device until the kernel's
                // asynchronous ring teardown has finished those requests, a moment after it died: so a
                // restarted job, or a check right after a crash, waits briefly before calling it in use.
                if (!writable || attempt >= BUSY_RETRIES || !(ex.getCause() instanceof DeviceBusyException))
                {
                    throw ex;
                }
                sleepQuietly(BUSY_RETRY_MILLIS);
            }
        }
    }

    @Override
    public Path path()
    {
        return device.path();
    }

    @Override
    public int fd()
    {
        return device.fd();
    }

    @Override
    public long sizeBytes()
    {
        return device.sizeBytes();
    }

    @Override
    public int logicalSectorBytes()
    {
        return device.logicalSectorBytes();
    }

    @Override
    public void read(final long offsetBytes, final ByteBuffer dst) throws IOException
    {
        final int length = dst.remaining();
        final MemorySegment slice = bounce(length);
        device.read(slice, offsetBytes);
        dst.put(slice.asByteBuffer());
    }

    @Override
    public void write(final long offsetBytes, final ByteBuffer src) throws IOException
    {
        final int length = src.remaining();
        final MemorySegment slice = bounce(length);
        slice.asByteBuffer().put(src);
        device.write(slice, offsetBytes);
    }

    @Override
    public void read(final long offsetBytes, final MemorySegment dst) throws IOException
    {
        if (direct(dst))
        {
            device.read(dst, offsetBytes);
            return;
        }
        final MemorySegment slice = bounce((int)dst.byteSize());
        device.read(slice, offsetBytes);
        dst.copyFrom(slice);
    }

    @Override
    public void write(final long offsetBytes, final MemorySegment src) throws IOException
    {
        if (direct(src))
        {
            device.write(src, offsetBytes);
            return;
        }
        final MemorySegment slice = bounce((int)src.byteSize());
        slice.copyFrom(src);
        device.write(slice, offsetBytes);
    }

    /** True when the kernel can take the segment as it is: native and sector aligned. */
    private boolean direct(final MemorySegment segment)
    {
        return segment.isNative() && segment.address() % device.logicalSectorBytes() == 0;
    }

    @Override
    public void flush() throws IOException
    {
        device.flush();
    }

    @Override
    public void release(final long offsetBytes, final long lengthBytes) throws IOException
    {
        device.release(offsetBytes, lengthBytes);
    }

    @Override
    public void reserve(final long offsetBytes, final long lengthBytes) throws IOException
    {
        final Path backing = device.backingFile().orElse(null);
        if (backing != null && device.isBlockDevice() && device.writeZeroesMaxBytes() == 0 && lengthBytes > 0)
        {
            reserveInBackingFile(backing, offsetBytes, lengthBytes);
            return;
        }
        device.reserve(offsetBytes, lengthBytes);
    }

    /**
     * A loop device without write-zeroes support (its backing file system lacks ZERO_RANGE, as tmpfs does):
     * the kernel would emulate fallocate ZERO_RANGE on the device by writing zero pages through the loop,
     * about twice the cost of doing it on the file. Punching the range in the backing file and allocating it
     * there (mode KEEP_SIZE) gives the same result, zeroed and really allocated, as {@link BlockDevice#reserve}
     * does itself when ZERO_RANGE is refused. The pool does all its data I/O with O_DIRECT, so the loop
     * device's page cache holds nothing of the range that could go stale.
     */
    private void reserveInBackingFile(final Path backing, final long offsetBytes, final long lengthBytes) throws IOException
    {
        device.checkRange("reserve", offsetBytes, lengthBytes);
        final String file = backing.toString();
        final long fileOffset = offsetBytes + loopOffsetBytes();
        final int fd = Libc.open(file, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        try
        {
            Libc.fallocate(fd, Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, fileOffset, lengthBytes, file);
            Libc.fallocate(fd, Libc.FALLOC_FL_KEEP_SIZE, fileOffset, lengthBytes, file);
        }
        finally
        {
            Libc.close(fd);
        }
    }

    /** Where the loop device starts in its backing file (sysfs loop/offset). */
    private long loopOffsetBytes() throws IOException
    {
        final Path offset = Path.of("/sys/dev/block", device.majorMinor(), "loop", "offset");
        return Long.parseLong(java.nio.file.Files.readString(offset).strip());
    }

    @Override
    public void close() throws IOException
    {
        if (!closed)
        {
            closed = true;
            try
            {
                device.close();
            }
            finally
            {
                arena.close();
            }
        }
    }

    private static void sleepQuietly(final long millis) throws IOException
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for a busy device");
        }
    }

    private MemorySegment bounce(final int length)
    {
        if (bounce.byteSize() < length)
        {
            // Grows rarely (the largest metadata write is a slot's pages); the arena frees all at close.
            bounce = BlockDevice.allocateAligned(arena, Math.max(length, bounce.byteSize() * 2), ALIGNMENT);
        }
        return bounce.asSlice(0, length);
    }
}
