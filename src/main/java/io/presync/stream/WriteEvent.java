package io.presync.stream;

/**
 * One completed write-side block request, as every source in this package hands it out: the kernel
 * tap, the trace readers and the write log. Sources reuse one instance per consumer call, so a
 * consumer must copy the fields it wants to keep and never retain the object.
 *
 * <ul>
 *   <li>{@code sequence}: assigned in the order the source hands events out, from 1, without gaps
 *       (a LOST event takes a number like any other).</li>
 *   <li>{@code timeNanos}: completion time, nanoseconds since the Unix epoch for the tap (its
 *       CLOCK_MONOTONIC trace clock plus an offset measured once at start) and the MSR reader;
 *       nanoseconds since the trace's own origin for blkparse and CloudPhysics traces.</li>
 *   <li>{@code offsetBytes}, {@code lengthBytes}: the byte range; 0, 0 for a flush; for LOST the
 *       whole device when the source knows its size, else 0 and {@link Long#MAX_VALUE}.</li>
 *   <li>{@code lostCount}: for LOST, how many events were lost, or {@link #UNKNOWN_COUNT};
 *       1 for every other op.</li>
 * </ul>
 */
public final class WriteEvent
{
    /** {@link #lostCount()} when the kernel did not say how many events it dropped. */
    public static final long UNKNOWN_COUNT = -1;

    private long sequence;
    private long timeNanos;
    private long offsetBytes;
    private long lengthBytes;
    private long lostCount = 1;
    private WriteOp op = WriteOp.WRITE;

    /** Sets every field; returns this for chaining. */
    public WriteEvent set(
        final long sequence,
        final long timeNanos,
        final WriteOp op,
        final long offsetBytes,
        final long lengthBytes,
        final long lostCount)
    {
        this.sequence = sequence;
        this.timeNanos = timeNanos;
        this.op = op;
        this.offsetBytes = offsetBytes;
        this.lengthBytes = lengthBytes;
        this.lostCount = lostCount;
        return this;
    }

    public long sequence()
    {
        return sequence;
    }

    public long timeNanos()
    {
        return timeNanos;
    }

    public WriteOp op()
    {
        return op;
    }

    public long offsetBytes()
    {
        return offsetBytes;
    }

    public long lengthBytes()
    {
        return lengthBytes;
    }

    /** End of the range, exclusive (saturates instead of overflowing for the "whole device" range). */
    public long endBytes()
    {
        final long end = offsetBytes + lengthBytes;
        return end < offsetBytes ? Long.MAX_VALUE : end;
    }

    public long lostCount()
    {
        return lostCount;
    }

    @Override
    public String toString()
    {
        return "WriteEvent{seq=" + sequence + ", timeNanos=" + timeNanos + ", op=" + op +
            ", offsetBytes=" + offsetBytes + ", lengthBytes=" + lengthBytes +
            (op == WriteOp.LOST ? ", lostCount=" + lostCount : "") + '}';
    }
}
