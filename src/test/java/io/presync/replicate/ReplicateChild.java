package io.presync.replicate;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A replication job in its own JVM for {@link ReplicateKillTest}: prints {@code copy BYTES} as the
 * copy advances (slowed down so that the parent can kill it mid-copy), then {@code synced BYTES},
 * then keeps streaming until killed. With a fourth argument PHASE ("plan" or "commit") it prints
 * {@code phase PHASE} when the job reaches that point ({@link ReplicationJob#phaseHook}; "commit" once
 * 12 MiB are copied, between the partition's commit and the job state's) and waits there to be killed.
 */
public final class ReplicateChild
{
    private static final long COMMIT_AFTER_BYTES = 12L << 20;

    private ReplicateChild()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final ReplicationJob.Options o = new ReplicationJob.Options();
        o.master = Path.of(args[0]);
        o.pool = Path.of(args[1]);
        o.logDirectory = Path.of(args[2]);
        o.partition = "m";
        o.commitIntervalNanos = TimeUnit.MILLISECONDS.toNanos(20);
        o.assumedRateBytesPerSecond = 200e6;
        final String stopAt = args.length > 3 ? args[3] : "";
        final ReplicationJob[] running = new ReplicationJob[1];
        ReplicationJob.phaseHook = phase ->
        {
            if (phase.equals(stopAt) && (phase.equals("plan") || running[0] != null && running[0].copiedBytes() >= COMMIT_AFTER_BYTES))
            {
                System.out.println("phase " + phase);
                System.out.flush();
                while (true)
                {
                    try
                    {
                        Thread.sleep(1000);
                    }
                    catch (final InterruptedException ignored)
                    {
                        // Waits for SIGKILL.
                    }
                }
            }
        };
        try (ReplicationJob job = ReplicationJob.start(o))
        {
            running[0] = job;
            System.out.println("started " + (job.resumed() ? "resumed" : "new"));
            boolean reported = false;
            while (true)
            {
                job.doWork();
                if (!reported && job.synced())
                {
                    System.out.println("synced " + job.copiedBytes());
                    reported = true;
                }
                else if (!reported)
                {
                    System.out.println("copy " + job.copiedBytes());
                    Thread.sleep(15);
                }
                else
                {
                    Thread.sleep(1);
                }
            }
        }
    }
}
