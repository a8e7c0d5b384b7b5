package io.presync.pool;

/**
 * A run of 4 KiB blocks where a partition does not hold what it should, in logical offsets of the
 * master volume; adjacent blocks of the same kind are one mismatch.
 */
public record Mismatch(long offsetBytes, long lengthBytes, Kind kind)
{
    /** Why the blocks mismatch. */
    public enum Kind
    {
        /** The slave's data no longer matches its stored CRC32C: bit rot or a write underneath Presync. */
        SLAVE_CORRUPT("slave-corrupt"),
        /** The master's data differs from the stored CRC32C (or is not zero where nothing is mapped): a missed write. */
        MASTER_DIFFERS("master-differs");

        private final String label;

        Kind(final String label)
        {
            this.label = label;
        }

        /** The name used in reports and JSON ({@code slave-corrupt}, {@code master-differs}). */
        public String label()
        {
            return label;
        }
    }

    public long endBytes()
    {
        return offsetBytes + lengthBytes;
    }
}
