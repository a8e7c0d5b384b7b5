package io.presync.stream;

import io.presync.RefusedException;

import java.util.Locale;

/** The trace file formats {@link TraceReader} understands. */
public enum TraceFormat
{
    /** {@code blkparse -i TRACE} default text output; completion ('C') actions of write-side ops. */
    BLKPARSE,
    /** CloudPhysics vSCSI CSV: {@code version,time,op,size,lbn} (whole seconds, hex SCSI opcode, 512-byte lbn). */
    CLOUDPHYSICS,
    /** MSR Cambridge CSV: {@code Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime}, Windows filetime, no header. */
    MSR,
    /** Our own write log (a directory or one segment). */
    LOG;

    /** Parses a command-line name (case-insensitive). */
    public static TraceFormat of(final String name) throws RefusedException
    {
        try
        {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new RefusedException("unknown trace format '" + name + "'; use one of blkparse, cloudphysics, msr, log.");
        }
    }
}
