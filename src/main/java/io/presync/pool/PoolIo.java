package io.presync.pool;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The few device calls the pool's metadata and allocation need: one place to swap the implementation
 * ({@link BlockDevicePoolIo}; the data path adds the io_uring Ring) and to inject faults in crash tests.
 */
interface PoolIo extends AutoCloseable
{
    Path path();

    /** The O_DIRECT descriptor the data path's io_uring may use, or -1 to stay synchronous (test doubles). */
    default int fd()
    {
        return -1;
    }

    long sizeBytes() throws IOException;

    int logicalSectorBytes();

    /** Reads exactly {@code dst.remaining()} bytes at {@code offsetBytes}. */
    void read(long offsetBytes, ByteBuffer dst) throws IOException;

    /** Writes all of {@code src.remaining()} bytes at {@code offsetBytes}. */
    void write(long offsetBytes, ByteBuffer src) throws IOException;

    /** Reads exactly {@code dst.byteSize()} bytes at {@code offsetBytes} (no copy when the segment suits direct I/O). */
    void read(long offsetBytes, MemorySegment dst) throws IOException;

    /** Writes all of {@code src} at {@code offsetBytes} (no copy when the segment suits direct I/O). */
    void write(long offsetBytes, MemorySegment src) throws IOException;

    /** Makes every completed write durable (fsync / a cache flush). */
    void flush() throws IOException;

    /** Gives the range back to the storage below (BLKDISCARD or punch hole); reads then return zeros. */
    void release(long offsetBytes, long lengthBytes) throws IOException;

    /** Makes the storage below hold the range (fallocate ZERO_RANGE); reads return zeros. */
    void reserve(long offsetBytes, long lengthBytes) throws IOException;

    @Override
    void close() throws IOException;
}
