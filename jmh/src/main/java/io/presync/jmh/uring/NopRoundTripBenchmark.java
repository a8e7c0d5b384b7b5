package io.presync.jmh.uring;

import io.presync.uring.CompletionHandler;
import io.presync.uring.Ring;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Cost per operation of a full NOP round trip through the ring: prepare N NOP SQEs in the mapped SQ,
 * one io_uring_submit_and_wait(N) syscall, reap N CQEs. Batch 1 is dominated by the syscall; at batch
 * 32 the syscall is shared (goal: at most 100 ns per operation).
 * <p>
 * {@code setup} picks the ring's set-up: {@code default} ({@link Ring#create(int)}, what the product's
 * rings use: {@link Ring#DEFAULT_OPTIONS}) and, through {@link Ring#create(int, int)}, {@code plain}
 * (no options), {@code single} (SINGLE_ISSUER + registered ring fd), {@code defer} (SINGLE_ISSUER +
 * DEFER_TASKRUN, what presync copy uses), {@code coop} (COOP_TASKRUN). scripts/bench uring runs them all.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Dpresync.checks=false"})
public class NopRoundTripBenchmark
{
    private static final int BATCH = 32;

    @Param({"default", "plain", "single", "defer", "coop"})
    String setup;

    private Ring ring;
    private final Sum sum = new Sum();

    /** Non-capturing handler: sums results so the JIT cannot drop the reads. */
    static final class Sum implements CompletionHandler
    {
        long total;

        @Override
        public void onCompletion(final long userData, final int result, final int flags)
        {
            total += userData + result;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        if (setup.equals("default"))
        {
            ring = Ring.create(64);
            return;
        }
        final int options = switch (setup)
        {
            case "plain" -> 0;
            case "single" -> Ring.OPTION_SINGLE_ISSUER;
            case "defer" -> Ring.OPTION_DEFER_TASKRUN;
            case "coop" -> Ring.OPTION_COOP_TASKRUN;
            default -> throw new IllegalArgumentException("unknown setup " + setup);
        };
        ring = Ring.create(64, options);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ring.close();
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public long nopBatch1() throws IOException
    {
        final Ring ring = this.ring;
        ring.prepareNop(1);
        ring.submitAndWait(1);
        ring.reap(sum, 1);
        return sum.total;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long nopBatch32() throws IOException
    {
        final Ring ring = this.ring;
        for (int i = 0; i < BATCH; i++)
        {
            ring.prepareNop(i);
        }
        ring.submitAndWait(BATCH);
        int reaped = 0;
        while (reaped < BATCH)
        {
            reaped += ring.reap(sum, BATCH - reaped);
        }
        return sum.total;
    }
}
