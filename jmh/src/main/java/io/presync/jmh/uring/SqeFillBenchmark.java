package io.presync.jmh.uring;

import io.presync.uring.Ring;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Cost of writing one SQE into the mapped SQ from Java, without the syscall: prepare 32 operations,
 * then discard them (they never reach the kernel).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dpresync.checks=false"})
public class SqeFillBenchmark
{
    private static final int BATCH = 32;
    private static final int BLOCK_BYTES = 4096;

    private Ring ring;
    private Arena arena;
    private MemorySegment buffer;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        ring = Ring.create(BATCH);
        arena = Arena.ofShared();
        buffer = Ring.allocateBuffer(arena, (long)BATCH * BLOCK_BYTES);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ring.close();
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fillRead()
    {
        final Ring ring = this.ring;
        final MemorySegment buffer = this.buffer;
        for (int i = 0; i < BATCH; i++)
        {
            ring.prepareRead(0, false, buffer, BLOCK_BYTES, (long)i * BLOCK_BYTES, i);
        }
        return ring.discardPrepared();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int fillNop()
    {
        final Ring ring = this.ring;
        for (int i = 0; i < BATCH; i++)
        {
            ring.prepareNop(i);
        }
        return ring.discardPrepared();
    }
}
