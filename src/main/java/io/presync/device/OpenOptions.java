package io.presync.device;

/**
 * How {@link BlockDevice#open} opens a device.
 *
 * @param readOnly         open O_RDONLY; a mounted device may be read (a live master usually is mounted).
 * @param exclusive        add O_EXCL on block devices so that nobody else (a mount, another writer
 *                         using O_EXCL) can claim the device while we hold it.
 * @param allowRegularFile accept a regular file in place of a block device (images, tests).
 */
public record OpenOptions(boolean readOnly, boolean exclusive, boolean allowRegularFile)
{
    /** Read and write, exclusive, block devices only: what a copy target needs. */
    public static OpenOptions forWriting()
    {
        return new OpenOptions(false, true, false);
    }

    /** Read only, not exclusive (so a mounted master can be read), block devices only. */
    public static OpenOptions forReading()
    {
        return new OpenOptions(true, false, false);
    }

    public OpenOptions withReadOnly(final boolean readOnly)
    {
        return new OpenOptions(readOnly, exclusive, allowRegularFile);
    }

    public OpenOptions withExclusive(final boolean exclusive)
    {
        return new OpenOptions(readOnly, exclusive, allowRegularFile);
    }

    public OpenOptions withAllowRegularFile(final boolean allowRegularFile)
    {
        return new OpenOptions(readOnly, exclusive, allowRegularFile);
    }
}
