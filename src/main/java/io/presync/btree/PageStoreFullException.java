package io.presync.btree;

/** A bounded page store (a device region) has no free page left; the region must be made larger. */
public final class PageStoreFullException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public PageStoreFullException(final String message)
    {
        super(message);
    }
}
