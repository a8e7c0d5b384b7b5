package io.presync.pool;

/**
 * Told when a write submitted with {@link Partition#submitWrite} is on the device (not yet durable:
 * {@link Partition#commit} makes it so). Called on the partition's thread from
 * {@link Partition#poll}, {@link Partition#awaitCompletion}, {@link Partition#drain}, a synchronous
 * call that had to wait, or {@link Partition#commit}; must not call back into the partition's writes.
 * A long-lived object or a method reference created once, so that completions allocate nothing.
 */
@FunctionalInterface
public interface WriteCompletionHandler
{
    void onWriteCompleted(long userData);
}
