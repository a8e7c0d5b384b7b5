package io.presync.uring;

import java.io.IOException;
import java.util.Arrays;

/** Test handler: records completions in arrays, in reap order. */
final class Completions implements CompletionHandler
{
    long[] userData = new long[1024];
    int[] results = new int[1024];
    int[] flags = new int[1024];
    int count;

    @Override
    public void onCompletion(final long userData, final int result, final int flags)
    {
        if (count == this.userData.length)
        {
            this.userData = Arrays.copyOf(this.userData, count * 2);
            results = Arrays.copyOf(results, count * 2);
            this.flags = Arrays.copyOf(this.flags, count * 2);
        }
        this.userData[count] = userData;
        results[count] = result;
        this.flags[count] = flags;
        count++;
    }

    void clear()
    {
        count = 0;
    }

    /** Result of the completion with this userData (exactly one must exist). */
    int resultOf(final long wanted)
    {
        int found = -1;
        for (int i = 0; i < count; i++)
        {
            if (userData[i] == wanted)
            {
                if (found >= 0)
                {
                    throw new AssertionError("two completions with userData " + wanted);
                }
                found = i;
            }
        }
        if (found < 0)
        {
            throw new AssertionError("no completion with userData " + wanted);
        }
        return results[found];
    }

    /** Submits what is prepared and reaps until {@code total} completions were recorded. */
    void awaitCount(final Ring ring, final int total) throws IOException
    {
        ring.submit();
        while (count < total)
        {
            if (ring.reap(this, total - count) == 0)
            {
                ring.submitAndWait(1);
            }
        }
    }
}
