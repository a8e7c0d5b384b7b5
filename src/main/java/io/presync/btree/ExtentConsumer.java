package io.presync.btree;

/** Receives extents {@code [startBytes, endBytes)} with their payload, in ascending order. */
@FunctionalInterface
public interface ExtentConsumer
{
    void accept(long startBytes, long endBytes, long payload);
}
