/**
 * Write-event sources and what is built from them.
 *
 * <ul>
 *   <li>{@link io.presync.stream.BlockTap}: every write, discard, write-zeroes and flush that
 *       completes on a block device, from the kernel's block completion tracepoints in a trace
 *       instance of our own; losses are reported as {@link io.presync.stream.WriteOp#LOST} events.</li>
 *   <li>{@link io.presync.stream.WriteLog} / {@link io.presync.stream.WriteLogReader}: the persistent,
 *       append-only history of those events (format in {@code WriteLogDescriptor}).</li>
 *   <li>{@link io.presync.stream.TraceReader}: blkparse, CloudPhysics and MSR Cambridge traces and
 *       our own log as the same {@link io.presync.stream.WriteEvent}s.</li>
 *   <li>{@link io.presync.stream.WriteAggregator}: the per-interval series (bytes written, bytes
 *       newly allocated, requests) and the per-region heat feed
 *       ({@link io.presync.stream.RegionHeatListener}).</li>
 * </ul>
 * Every source hands events to a {@link io.presync.stream.WriteEventHandler} with one reused
 * {@link io.presync.stream.WriteEvent}, allocating nothing per event.
 */
package io.presync.stream;
