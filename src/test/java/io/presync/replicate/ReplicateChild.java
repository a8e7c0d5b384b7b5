package io.presync.replicate;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A replication job in its own JVM for {@link ReplicateKillTest}: prints {@code copy BYTES} as the
 * copy advances (slowed down so that the parent can kill it mid-copy), then {@code synced BYTES},
 * then keeps streaming until killed.
 */
public final class ReplicateChild
{
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
        try (ReplicationJob job = ReplicationJob.start(o))
        {
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
