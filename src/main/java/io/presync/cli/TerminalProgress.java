package io.presync.cli;

import io.presync.device.DeviceCopy;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;

/** The progress line long commands (copy, verify, export) show on a terminal: one line on stderr, rewritten in place. */
final class TerminalProgress
{
    /** Long work that tells a {@link DeviceCopy.Progress} how far it got (null: nobody listens). */
    interface Work<T>
    {
        T run(DeviceCopy.Progress progress) throws IOException;
    }

    private TerminalProgress()
    {
    }

    /** Runs {@code work}, showing its progress on {@code err} when {@code show}, and clears the line after, failed or not. */
    static <T> T run(final PrintWriter err, final String verb, final boolean show, final Work<T> work) throws IOException
    {
        final long startNanos = System.nanoTime();
        try
        {
            return work.run(show ? (done, total) -> line(err, verb, done, total, startNanos) : null);
        }
        finally
        {
            if (show)
            {
                clear(err);
            }
        }
    }

    /** One progress line ({@code verb}: "copy", "verify", "export"), rewritten in place by the next. */
    static void line(final PrintWriter err, final String verb, final long done, final long total, final long startNanos)
    {
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        err.printf(Locale.ROOT, "\r%s: %s of %s (%.0f%%), %s/s", verb, SizeConverter.format(done), SizeConverter.format(total),
            total == 0 ? 100.0 : 100.0 * done / total, SizeConverter.format((long)(done / Math.max(seconds, 1e-9))));
        err.flush();
    }

    /** Clears the line, so that the report (or an error) starts on a clean one. */
    static void clear(final PrintWriter err)
    {
        err.print("\r\033[K");
        err.flush();
    }
}
