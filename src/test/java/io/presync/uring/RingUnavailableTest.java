package io.presync.uring;

import io.presync.ffi.Errno;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one-sentence reasons for io_uring being unavailable, without needing a broken kernel. */
class RingUnavailableTest
{
    @Test
    void noSyscallNamesTheKernel()
    {
        final String reason = Ring.reasonForSetupErrno(Errno.ENOSYS, null);
        assertTrue(reason.startsWith("io_uring is not available: the running kernel (Linux "), reason);
        assertTrue(reason.contains("ENOSYS"), reason);
        assertOneSentence(reason);
    }

    @Test
    void epermNamesTheSysctlOrSeccomp()
    {
        assertEquals("io_uring is disabled on this machine by sysctl kernel.io_uring_disabled=2; " +
            "enable it with 'sysctl -w kernel.io_uring_disabled=0'.", Ring.reasonForSetupErrno(Errno.EPERM, "2\n"));
        assertTrue(Ring.reasonForSetupErrno(Errno.EPERM, "1").contains("kernel.io_uring_disabled=1"));
        for (final String sysctl : new String[] {"0\n", null})
        {
            final String reason = Ring.reasonForSetupErrno(Errno.EPERM, sysctl);
            assertTrue(reason.contains("seccomp"), reason);
            assertOneSentence(reason);
        }
    }

    @Test
    void enomemNamesTheMemlockLimit()
    {
        final String reason = Ring.reasonForSetupErrno(Errno.ENOMEM, "0");
        assertTrue(reason.contains("ulimit -l"), reason);
        assertOneSentence(reason);
    }

    @Test
    void otherErrorsNameTheErrno()
    {
        assertEquals("io_uring_setup failed with Invalid argument (EINVAL).", Ring.reasonForSetupErrno(Errno.EINVAL, "0"));
    }

    @Test
    void theSystemPropertyMakesTheProbeReportUnavailable()
    {
        final String before = System.getProperty(Ring.UNAVAILABLE_PROPERTY);
        System.setProperty(Ring.UNAVAILABLE_PROPERTY, "testing the fallback");
        try
        {
            assertEquals("io_uring is turned off for this process by -Dpresync.uring.unavailable (testing the fallback).",
                Ring.probe());
        }
        finally
        {
            if (before == null)
            {
                System.clearProperty(Ring.UNAVAILABLE_PROPERTY);
            }
            else
            {
                System.setProperty(Ring.UNAVAILABLE_PROPERTY, before);
            }
        }
    }

    @Test
    void theProbeSucceedsOnAWorkingKernelAndIsCached()
    {
        final String reason = Ring.probe();
        assertEquals(reason, Ring.unavailableReason());
        if (reason != null)
        {
            assertOneSentence(reason);
        }
    }

    private static void assertOneSentence(final String reason)
    {
        assertTrue(reason.endsWith("."), reason);
        assertEquals(-1, reason.indexOf(". "), "one sentence: " + reason);
    }
}
