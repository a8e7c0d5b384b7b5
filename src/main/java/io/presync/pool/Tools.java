package io.presync.pool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Runs a system tool (interim stand-in for ioctls the device package will provide). */
final class Tools
{
    private Tools()
    {
    }

    static String run(final String... command) throws IOException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            if (process.exitValue() != 0)
            {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
            return output;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", command) + " interrupted", ex);
        }
    }
}
