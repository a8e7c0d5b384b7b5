package io.presync.tracking;

/** Receives dirty byte ranges {@code [startBytes, endBytes)} handed out by a {@link TrackingMap}. */
@FunctionalInterface
public interface DirtyRangeConsumer
{
    void accept(long startBytes, long endBytes);
}
