package io.presync.device;

/** Receives one allocated extent {@code [startBytes, endBytes)} in device coordinates. */
@FunctionalInterface
public interface AllocatedExtentConsumer
{
    void accept(long startBytes, long endBytes);
}
