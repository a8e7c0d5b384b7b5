package io.presync.btree;

/**
 * Ordered iteration over a {@link BTree} or a {@link Snapshot}, ascending by key. Starts before the
 * first key at or above the seek key: call {@link #next()} before reading {@link #key()}.
 * {@link #next()} allocates nothing.
 *
 * <p>A cursor over the live tree throws {@link java.util.ConcurrentModificationException} from
 * {@link #next()} once the tree was changed; {@link #seek(long)} revalidates it. A cursor over a
 * snapshot is stable for the snapshot's lifetime.
 */
public interface Cursor
{
    /** Moves to the next entry; false when there is none (then key/value are undefined). */
    boolean next();

    /** Key of the current entry. */
    long key();

    /** Value long {@code index} (0 .. valueLongs - 1) of the current entry. */
    long value(int index);

    /** Repositions before the first key {@code >= fromKeyInclusive}, reusing this cursor. */
    void seek(long fromKeyInclusive);
}
