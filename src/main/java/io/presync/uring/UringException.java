package io.presync.uring;

import io.presync.ffi.Errno;

import java.io.IOException;

/**
 * An io_uring operation or ring call failed with an errno: a completion with negative {@code res},
 * turned into a typed error at the API edge, or a failed submit/register/setup call. The message
 * names the operation, the path when the caller knows it, and the error.
 */
public class UringException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final String op;
    private final String path;
    private final int errno;

    UringException(final String op, final String path, final int errno)
    {
        super(message(op, path, errno));
        this.op = op;
        this.path = path;
        this.errno = errno;
    }

    /**
     * The exception for a completion of {@code opcode} (one of {@code SqeDescriptor.OP_*}) that
     * returned {@code res < 0}; {@code path} names the file for the message and may be null.
     */
    public static UringException forResult(final int opcode, final int res, final String path)
    {
        if (res >= 0)
        {
            throw new IllegalArgumentException("res " + res + " is not an error");
        }
        return new UringException(SqeDescriptor.opName(opcode), path, -res);
    }

    /**
     * Returns {@code res} when it is not an error, else throws {@link #forResult}: the one-line edge
     * check for a completion ({@code int bytes = UringException.check(OP_READ, res, path);}).
     */
    public static int check(final int opcode, final int res, final String path) throws UringException
    {
        if (res < 0)
        {
            throw forResult(opcode, res, path);
        }
        return res;
    }

    /**
     * As {@link #forResult(int, int, String)} for calls that are not SQE opcodes
     * ("io_uring_submit", "io_uring_register_buffers").
     */
    public static UringException forCall(final String call, final int res, final String path)
    {
        return new UringException(call, path, res < 0 ? -res : res);
    }

    /** The (positive) errno. */
    public int errno()
    {
        return errno;
    }

    /** The operation or call that failed ("READ", "io_uring_submit"). */
    public String op()
    {
        return op;
    }

    /** The path the caller named, or null. */
    public String path()
    {
        return path;
    }

    /** The symbolic errno name ("EIO"). */
    public String errnoName()
    {
        return Errno.name(errno);
    }

    private static String message(final String op, final String path, final int errno)
    {
        return "io_uring " + op + (path == null ? "" : " on " + path) + " failed: " + Errno.describe(errno);
    }
}
