package io.presync.stream;

import java.io.IOException;

/**
 * The kernel tap cannot run here: tracefs is missing and cannot be mounted, or the block
 * tracepoints are not compiled in. The message is one sentence with the reason; the command line
 * prints it and exits with code 1.
 */
public class TapUnavailableException extends IOException
{
    private static final long serialVersionUID = 1L;

    public TapUnavailableException(final String message)
    {
        super(message);
    }
}
