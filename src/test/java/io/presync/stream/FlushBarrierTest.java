package io.presync.stream;

import io.presync.device.BlockDevice;
import io.presync.device.LoopDevices;
import io.presync.device.OpenOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tap's flush barrier on real loop devices: a write completed (and flushed) before a barrier is
 * requested has been handed out by the time the barrier completes, also when the kernel holds it in a
 * partly filled page and the reorder window would hold it back; a steady writer does not starve it;
 * markers never come out as events.
 */
class FlushBarrierTest
{
    private static final long DEVICE_BYTES = 32L << 20;
    private static final int ROUNDS = 50;
    /** Generous bound so that a broken barrier fails the test instead of hanging it. */
    private static final long BARRIER_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    @RegisterExtension
    final LoopDevices loops = new LoopDevices();

    @AfterEach
    void noInstanceLeft() throws IOException
    {
        TraceInstances.assertNoneOfThisProcess();
    }

    /** What the tap handed out: the last write offsets, and anything that is not a write or flush. */
    static final class Seen implements WriteEventHandler
    {
        long lastWriteOffset = -1;
        long writes;
        long others;
        final long[] delivered = new long[(int)(DEVICE_BYTES / 4096)];

        @Override
        public void onEvent(final WriteEvent e)
        {
            if (e.op() == WriteOp.WRITE)
            {
                writes++;
                for (long at = e.offsetBytes(); at < e.offsetBytes() + e.lengthBytes(); at += 4096)
                {
                    delivered[(int)(at / 4096)]++;
                }
            }
            else if (e.op() != WriteOp.FLUSH)
            {
                others++;
            }
        }
    }

    @Test
    void aWriteCompletedBeforeTheBarrierIsHandedOutWhenItCompletes() throws Exception
    {
        rounds(false);
    }

    @Test
    void aSteadyWriterDoesNotStarveTheBarrier() throws Exception
    {
        rounds(true);
    }

    /**
     * {@value #ROUNDS} times: write one block of the first half (O_DIRECT, then fsync), request a
     * barrier at once, poll until it completes, and check that the block's event came out. With
     * {@code steady}, another thread writes the second half without pause meanwhile.
     */
    private void rounds(final boolean steady) throws Exception
    {
        final LoopDevices.Loop loop = loops.create(DEVICE_BYTES);
        final Seen seen = new Seen();
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        int notYetOnFirstPoll = 0;
        Thread background = null;
        try (BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options());
             BlockDevice dev = BlockDevice.open(loop.device(), OpenOptions.forWriting().withExclusive(false));
             Arena arena = Arena.ofConfined())
        {
            if (steady)
            {
                background = steadyWriter(loop.device(), stop, writerFailure);
            }
            final MemorySegment block = BlockDevice.allocateAligned(arena, 4096, 4096);
            long lastBarrier = 0;
            for (int round = 0; round < ROUNDS; round++)
            {
                final long offset = 4096L * (round * 37 % (DEVICE_BYTES / 2 / 4096));
                final int index = (int)(offset / 4096);
                final long before = seen.delivered[index];
                block.fill((byte)round);
                dev.write(block, offset);
                dev.flush();
                // The write has completed: its event is in some CPU's ring buffer, maybe in a partly filled page.
                tap.poll(seen, Integer.MAX_VALUE);
                if (seen.delivered[index] == before)
                {
                    notYetOnFirstPoll++;
                }
                final long barrier = tap.requestBarrier();
                Assumptions.assumeTrue(barrier > 0, () -> "no flush barrier here: " + tap.barrierUnavailableReason());
                assertTrue(barrier > lastBarrier, "barrier numbers increase");
                lastBarrier = barrier;
                final long deadline = System.nanoTime() + BARRIER_DEADLINE_NANOS;
                while (tap.barrierCompleted() < barrier)
                {
                    assertTrue(System.nanoTime() - deadline < 0, "barrier " + barrier + " did not complete in 10 s (steady " +
                        steady + ", reason " + tap.barrierUnavailableReason() + ")");
                    if (tap.poll(seen, 256) == 0)
                    {
                        java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                    }
                }
                assertTrue(seen.delivered[index] > before,
                    "round " + round + ": the write at " + offset + " completed before barrier " + barrier +
                        " but was not handed out when the barrier completed");
            }
            assertNull(tap.barrierUnavailableReason());
            assertEquals(0, tap.lostReports(), "no loss expected at this rate");
        }
        finally
        {
            stop.set(true);
            if (background != null)
            {
                background.join();
            }
        }
        assertNull(writerFailure.get());
        assertEquals(0, seen.others, "markers are never handed out as events");
        // Not asserted (a timing): how often the plain poll right after the write missed it.
        System.out.printf("flush barrier, steady %s: the first poll after the write missed it in %d of %d rounds%n",
            steady, notYetOnFirstPoll, ROUNDS);
    }

    private static Thread steadyWriter(final Path device, final AtomicBoolean stop, final AtomicReference<Throwable> failure)
    {
        return Thread.ofPlatform().name("steady-writer").start(() ->
        {
            try (BlockDevice dev = BlockDevice.open(device, OpenOptions.forWriting().withExclusive(false));
                 Arena arena = Arena.ofConfined())
            {
                final MemorySegment block = BlockDevice.allocateAligned(arena, 4096, 4096);
                long at = DEVICE_BYTES / 2;
                while (!stop.get())
                {
                    dev.write(block, at);
                    at = at + 4096 >= DEVICE_BYTES ? DEVICE_BYTES / 2 : at + 4096;
                }
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
        });
    }

    @Test
    void switchedOffBarriersSayWhyAndNeverComplete() throws Exception
    {
        final LoopDevices.Loop loop = loops.create(DEVICE_BYTES);
        try (BlockTap tap = BlockTap.open(loop.device(), new BlockTap.Options().flushBarriers(false)))
        {
            assertNull(tap.barrierUnavailableReason(), "nothing is known before the first request");
            assertEquals(0, tap.requestBarrier());
            assertTrue(tap.barrierUnavailableReason().contains("switched off"), tap.barrierUnavailableReason());
            assertEquals(0, tap.requestBarrier());
            tap.poll(new Seen(), 16);
            assertEquals(0, tap.barrierCompleted());
        }
    }

    @Test
    void markersAreRecognisedOnlyWithOurTag() throws Exception
    {
        final EventFormat rawData = EventFormat.parse("""
            name: raw_data
            ID: 19
            format:
            	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
            	field:unsigned char common_flags;	offset:2;	size:1;	signed:0;
            	field:unsigned char common_preempt_count;	offset:3;	size:1;	signed:0;
            	field:int common_pid;	offset:4;	size:4;	signed:1;

            	field:unsigned int id;	offset:8;	size:4;	signed:0;
            	field:char buf[];	offset:12;	size:0;	signed:0;
            """, "test");
        assertEquals(12, rawData.field("buf").offset());
        final ByteBuffer page = ByteBuffer.allocate(64).order(PageCursor.HOST);
        page.putShort(16, (short)19).putInt(24, FlushBarrier.MARKER_TAG).putLong(28, 42);
        final FlushBarrier.Decoder decoder = new FlushBarrier.Decoder(rawData);
        assertEquals(42, decoder.markerAt(page, 16, 24));
        assertEquals(0, decoder.markerAt(page, 16, 19), "too short");
        page.putInt(24, 7);
        assertEquals(0, decoder.markerAt(page, 16, 24), "someone else's raw write");
        page.putInt(24, FlushBarrier.MARKER_TAG).putShort(16, (short)5);
        assertEquals(0, decoder.markerAt(page, 16, 24), "another event type");
    }
}
