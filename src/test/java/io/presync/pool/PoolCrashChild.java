package io.presync.pool;

import io.presync.RefusedException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process of {@link PoolCrashTest}: changes the pool on a device in a seeded, deterministic
 * sequence until it is killed, printing each committed generation. The parent replays the same
 * sequence in memory to know the exact state of every generation.
 */
public final class PoolCrashChild
{
    static final Pool.CreateOptions OPTIONS = new Pool.CreateOptions(64 << 10, 8, true);

    private PoolCrashChild()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final Path device = Path.of(args[0]);
        final Random random = new Random(Long.parseLong(args[1]));
        try (Pool pool = Pool.open(device))
        {
            System.out.println("ready " + pool.info().generation());
            System.out.flush();
            while (true)
            {
                step(pool, random);
                System.out.println("committed " + pool.info().generation());
                System.out.flush();
            }
        }
    }

    /** One random change; refusals (full pool, unknown name) are part of the sequence and commit nothing. */
    static void step(final Pool pool, final Random random) throws IOException
    {
        final int kind = random.nextInt(5);
        final long size = (1 + random.nextInt(64)) * (64L << 10);
        final String name = "p" + random.nextInt(6);
        try
        {
            switch (kind)
            {
                case 0, 1 -> pool.allocate(name, MasterIdentity.of(name, size * 4), size);
                case 2 -> pool.extend(name, size);
                case 3 -> pool.delete(name);
                default -> pool.trim(name);
            }
        }
        catch (final RefusedException ex)
        {
            // Deterministic: the replay is refused at the same step.
        }
    }
}
