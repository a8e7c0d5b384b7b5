package io.presync.replicate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A bulk limit below the probed rate is the rate the plan uses; none, or one above it, leaves the probe alone. */
class CopyRateTest
{
    private static final double MIB = 1 << 20;

    @Test
    void aLowerBulkLimitCapsTheRateAndSaysSo()
    {
        final CopyRate probed = CopyRate.probed(400 * MIB, 300 * MIB, null);
        final CopyRate capped = probed.cappedAt(8 * MIB);
        assertEquals(8 * MIB, capped.bytesPerSecond());
        assertTrue(capped.source().endsWith("capped by the bulk limit"), capped.source());
        assertEquals(400 * MIB, capped.readBytesPerSecond());
        assertEquals(300 * MIB, capped.writeBytesPerSecond());
    }

    @Test
    void noLimitOrAHigherOneLeavesTheProbe()
    {
        final CopyRate probed = CopyRate.probed(400 * MIB, 300 * MIB, null);
        assertSame(probed, probed.cappedAt(0));
        assertSame(probed, probed.cappedAt(Double.NaN));
        assertSame(probed, probed.cappedAt(500 * MIB));
    }
}
