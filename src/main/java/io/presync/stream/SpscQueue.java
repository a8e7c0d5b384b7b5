package io.presync.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded single-producer single-consumer queue of preallocated objects (page buffers). Agrona's
 * queues need {@code --add-exports java.base/jdk.internal.misc}, which the agent's command line
 * does not pass, so this is a plain acquire/release ring. Allocates nothing.
 */
final class SpscQueue<E>
{
    private final Object[] slots;
    private final int mask;
    private final AtomicLong head = new AtomicLong();
    // Keep producer and consumer counters on different cache lines.
    @SuppressWarnings("unused")
    private long p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15;
    private final AtomicLong tail = new AtomicLong();

    SpscQueue(final int capacity)
    {
        final int size = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
        slots = new Object[size];
        mask = size - 1;
    }

    /** Producer side; false when full. */
    boolean offer(final E element)
    {
        final long t = tail.getPlain();
        if (t - head.getAcquire() >= slots.length)
        {
            return false;
        }
        slots[(int)t & mask] = element;
        tail.setRelease(t + 1);
        return true;
    }

    /** Consumer side; null when empty. */
    @SuppressWarnings("unchecked")
    E poll()
    {
        final long h = head.getPlain();
        if (h >= tail.getAcquire())
        {
            return null;
        }
        final int index = (int)h & mask;
        final E element = (E)slots[index];
        slots[index] = null;
        head.setRelease(h + 1);
        return element;
    }
}
