package io.presync.uring;

import java.io.IOException;

/**
 * io_uring cannot be used on this machine (kernel without it, disabled by sysctl, blocked by
 * seccomp, no locked memory, liburing2 missing). The message is one sentence with the reason, the
 * same as {@link Ring#unavailableReason()}.
 */
public class UringUnavailableException extends IOException
{
    private static final long serialVersionUID = 1L;

    public UringUnavailableException(final String reason)
    {
        super(reason);
    }
}
