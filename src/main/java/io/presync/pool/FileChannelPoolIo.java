package io.presync.pool;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@link PoolIo} over a {@link FileChannel}: buffered I/O and fsync, enough for metadata. Discard and
 * reserve run util-linux's {@code blkdiscard} and {@code fallocate} for now: Java has no BLKDISCARD or
 * fallocate ZERO_RANGE, and the device package that brings them through the FFM API has not landed
 * yet. Once it has, this class is replaced by one over BlockDevice (O_DIRECT) and the ring; nothing
 * outside {@link PoolIo} changes.
 */
final class FileChannelPoolIo implements PoolIo
{
    private final Path path;
    private final FileChannel channel;
    private final int logicalSectorBytes;
    private boolean closed;

    private FileChannelPoolIo(final Path path, final FileChannel channel, final int logicalSectorBytes)
    {
        this.path = path;
        this.channel = channel;
        this.logicalSectorBytes = logicalSectorBytes;
    }

    static FileChannelPoolIo open(final Path path, final boolean writable) throws IOException
    {
        final FileChannel channel = writable ?
            FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE) :
            FileChannel.open(path, StandardOpenOption.READ);
        return new FileChannelPoolIo(path, channel, DeviceFacts.logicalSectorBytes(path));
    }

    @Override
    public Path path()
    {
        return path;
    }

    @Override
    public long sizeBytes() throws IOException
    {
        final long size = channel.size();
        return size > 0 || Files.isRegularFile(path) ? size : DeviceFacts.blockDeviceSizeBytes(path);
    }

    @Override
    public int logicalSectorBytes()
    {
        return logicalSectorBytes;
    }

    @Override
    public void read(final long offsetBytes, final ByteBuffer dst) throws IOException
    {
        long position = offsetBytes;
        while (dst.hasRemaining())
        {
            final int n = channel.read(dst, position);
            if (n < 0)
            {
                throw new EOFException("read of " + path + " at byte " + position + ": end of device");
            }
            position += n;
        }
    }

    @Override
    public void write(final long offsetBytes, final ByteBuffer src) throws IOException
    {
        long position = offsetBytes;
        while (src.hasRemaining())
        {
            position += channel.write(src, position);
        }
    }

    @Override
    public void flush() throws IOException
    {
        channel.force(false);
    }

    @Override
    public void release(final long offsetBytes, final long lengthBytes) throws IOException
    {
        final String offset = Long.toString(offsetBytes);
        final String length = Long.toString(lengthBytes);
        if (DeviceFacts.isBlockDevice(path))
        {
            try
            {
                Tools.run("blkdiscard", "--offset", offset, "--length", length, path.toString());
                return;
            }
            catch (final IOException ex)
            {
                // No discard support below: punching a hole through the block device zeroes it at least.
                Tools.run("fallocate", "--punch-hole", "--offset", offset, "--length", length, path.toString());
                return;
            }
        }
        Tools.run("fallocate", "--punch-hole", "--keep-size", "--offset", offset, "--length", length, path.toString());
    }

    @Override
    public void reserve(final long offsetBytes, final long lengthBytes) throws IOException
    {
        Tools.run("fallocate", "--zero-range", "--keep-size", "--offset", Long.toString(offsetBytes),
            "--length", Long.toString(lengthBytes), path.toString());
    }

    @Override
    public void close() throws IOException
    {
        if (!closed)
        {
            closed = true;
            channel.close();
        }
    }
}
