package io.presync.uring;

/**
 * One way to encode an SQE's {@code user_data} so that a completion finds its operation without a
 * lookup or an allocation: a small {@code kind} (what the operation was: a read, a write, a flush of
 * the caller's pipeline...) in the top byte and an {@code index} (a slot in the caller's own arrays,
 * or any 56-bit value) below it.
 * <pre>
 *   63      56 55                                                0
 *  +----------+--------------------------------------------------+
 *  |   kind   |                       index                      |
 *  +----------+--------------------------------------------------+
 * </pre>
 * The ring itself never interprets user_data; callers may use any other encoding.
 */
public final class UserData
{
    public static final int KIND_BITS = 8;
    public static final int INDEX_BITS = 64 - KIND_BITS;
    public static final int MAX_KIND = (1 << KIND_BITS) - 1;
    public static final long MAX_INDEX = (1L << INDEX_BITS) - 1;

    private UserData()
    {
    }

    /** Packs {@code kind} (0..255) and {@code index} (0..2^56-1); out-of-range bits are masked off. */
    public static long encode(final int kind, final long index)
    {
        return ((long)kind << INDEX_BITS) | (index & MAX_INDEX);
    }

    public static int kind(final long userData)
    {
        return (int)(userData >>> INDEX_BITS);
    }

    public static long index(final long userData)
    {
        return userData & MAX_INDEX;
    }

    /** {@link #index} as an int, for callers whose slots are array indexes. */
    public static int intIndex(final long userData)
    {
        return (int)userData;
    }
}
