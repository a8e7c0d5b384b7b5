package io.presync;

import java.io.IOException;

/**
 * Input a user can fix was refused: a wrong path, a device in use or mounted, a master given as the
 * pool, a malformed trace line, an absurd option. The message is one sentence that names the problem
 * and the fix; the command line prints it alone and exits with code 2. Nothing was changed.
 */
public class RefusedException extends IOException
{
    private static final long serialVersionUID = 1L;

    public RefusedException(final String message)
    {
        super(message);
    }

    public RefusedException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
