package io.presync.pool;

/**
 * What {@link Pool#export} did.
 *
 * @param logicalBytes the image size (the master's logical size)
 * @param dataBytes    bytes copied from mapped ranges (each block's CRC checked on the way)
 * @param holeBytes    bytes left as holes (files) or discarded (devices), never written as zeros
 */
public record ExportResult(long logicalBytes, long dataBytes, long holeBytes)
{
}
