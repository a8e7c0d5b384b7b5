package io.presync.btree;

/**
 * Ordered iteration over the extents of an {@link ExtentMap}: call {@link #next()} until it returns
 * false, reading {@link #start()}, {@link #end()} and {@link #payload()} after each true. The map must
 * not change while a cursor is in use.
 */
public interface ExtentCursor
{
    /** Moves to the next extent; false when there is none. */
    boolean next();

    /** First byte of the current extent. */
    long start();

    /** One past the last byte of the current extent. */
    long end();

    /** The payload of the current extent. */
    long payload();
}
