package io.presync.pool;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A device in memory with a crash model: writes since the last flush are pending; {@link #crashImage}
 * returns what a power cut could leave: the flushed state plus any subset of the pending writes, each
 * either whole or torn at a random 512-byte boundary. A write can be made to fail ("the process died
 * here") after a given number of writes.
 */
final class MemoryPoolIo implements PoolIo
{
    record Write(long offset, byte[] bytes)
    {
    }

    static final class CrashException extends IOException
    {
        private static final long serialVersionUID = 1L;

        CrashException()
        {
            super("simulated crash");
        }
    }

    private final byte[] durable;
    private final byte[] current;
    private final List<Write> pending = new ArrayList<>();
    final List<String> calls = new ArrayList<>();
    /** Writes left before the next one throws; negative means never. */
    int writesBeforeCrash = -1;
    int writes;

    MemoryPoolIo(final int sizeBytes)
    {
        this(new byte[sizeBytes]);
    }

    MemoryPoolIo(final byte[] image)
    {
        durable = image.clone();
        current = image.clone();
    }

    @Override
    public Path path()
    {
        return Path.of("/dev/memory");
    }

    @Override
    public long sizeBytes()
    {
        return current.length;
    }

    @Override
    public int logicalSectorBytes()
    {
        return 512;
    }

    @Override
    public void read(final long offsetBytes, final ByteBuffer dst) throws IOException
    {
        final int n = dst.remaining();
        if (offsetBytes + n > current.length)
        {
            throw new IOException("read past the end");
        }
        dst.put(current, (int)offsetBytes, n);
    }

    @Override
    public void write(final long offsetBytes, final ByteBuffer src) throws IOException
    {
        if (writesBeforeCrash == 0)
        {
            throw new CrashException();
        }
        if (writesBeforeCrash > 0)
        {
            writesBeforeCrash--;
        }
        writes++;
        final byte[] bytes = new byte[src.remaining()];
        src.get(bytes);
        System.arraycopy(bytes, 0, current, (int)offsetBytes, bytes.length);
        pending.add(new Write(offsetBytes, bytes));
    }

    @Override
    public void read(final long offsetBytes, final MemorySegment dst) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate((int)dst.byteSize());
        read(offsetBytes, buffer);
        dst.copyFrom(MemorySegment.ofArray(buffer.array()));
    }

    @Override
    public void write(final long offsetBytes, final MemorySegment src) throws IOException
    {
        write(offsetBytes, ByteBuffer.wrap(src.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }

    @Override
    public void flush()
    {
        for (final Write w : pending)
        {
            System.arraycopy(w.bytes(), 0, durable, (int)w.offset(), w.bytes().length);
        }
        pending.clear();
    }

    @Override
    public void release(final long offsetBytes, final long lengthBytes)
    {
        calls.add("release " + offsetBytes + " " + lengthBytes);
        java.util.Arrays.fill(current, (int)offsetBytes, (int)(offsetBytes + lengthBytes), (byte)0);
        java.util.Arrays.fill(durable, (int)offsetBytes, (int)(offsetBytes + lengthBytes), (byte)0);
    }

    @Override
    public void reserve(final long offsetBytes, final long lengthBytes)
    {
        calls.add("reserve " + offsetBytes + " " + lengthBytes);
    }

    @Override
    public void close()
    {
    }

    /** What a crash now could leave on the device. */
    byte[] crashImage(final Random random)
    {
        final byte[] image = durable.clone();
        for (final Write w : pending)
        {
            final int choice = random.nextInt(3);
            if (choice == 0)
            {
                continue; // never reached the media
            }
            int length = w.bytes().length;
            if (choice == 2)
            {
                length = 512 * random.nextInt(Math.max(1, length / 512));
            }
            System.arraycopy(w.bytes(), 0, image, (int)w.offset(), length);
        }
        return image;
    }

    byte[] image()
    {
        return current.clone();
    }
}
