package io.presync;

import java.util.concurrent.CountDownLatch;

/**
 * Thread helpers shared by the packages that run a short-lived worker beside their own thread.
 */
public final class Threads
{
    private Threads()
    {
    }

    /**
     * Waits for {@code thread} to end even when interrupted meanwhile (the worker holds buffers or devices the
     * caller is about to release, so returning early is not an option), then restores the interrupt status.
     * {@link Thread#join()} orders the worker's writes before what follows.
     */
    public static void joinUninterruptibly(final Thread thread)
    {
        waitUninterruptibly(thread, null);
    }

    /** {@link #joinUninterruptibly} for a latch: waits for it to open even when interrupted, then restores the status. */
    public static void awaitUninterruptibly(final CountDownLatch latch)
    {
        waitUninterruptibly(null, latch);
    }

    /**
     * Joins {@code thread} or awaits {@code latch} (the other is null), retrying on interrupts. One loop for both
     * without a lambda: ParallelSetup awaits its latches on the job's start-up path, where every lambda is a class
     * spun at run time.
     */
    private static void waitUninterruptibly(final Thread thread, final CountDownLatch latch)
    {
        boolean interrupted = false;
        while (true)
        {
            try
            {
                if (thread != null)
                {
                    thread.join();
                }
                else
                {
                    latch.await();
                }
                break;
            }
            catch (final InterruptedException ex)
            {
                interrupted = true;
            }
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
