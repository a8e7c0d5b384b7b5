package io.presync.ffi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ErrnoTest
{
    @Test
    void mapsErrnoToTypedExceptionsNamingCallPathAndError()
    {
        assertInstanceOf(NoSuchFileException.class, Errno.exception("open", "/x", Errno.ENOENT));
        assertInstanceOf(AccessDeniedException.class, Errno.exception("open", "/x", Errno.EACCES));
        assertInstanceOf(AccessDeniedException.class, Errno.exception("open", "/x", Errno.EPERM));
        assertInstanceOf(DeviceBusyException.class, Errno.exception("open", "/x", Errno.EBUSY));
        assertInstanceOf(NoSpaceException.class, Errno.exception("fallocate", "/x", Errno.ENOSPC));
        assertInstanceOf(NotSupportedException.class, Errno.exception("ioctl(BLKDISCARD)", "/x", Errno.EOPNOTSUPP));
        assertInstanceOf(NotSupportedException.class, Errno.exception("ioctl(BLKSSZGET)", "/x", Errno.ENOTTY));
        assertInstanceOf(NotSupportedException.class, Errno.exception("fallocate(ZERO_RANGE)", "/x", Errno.EINVAL));
        final IOException generic = Errno.exception("pread", "/dev/loop9", Errno.EIO);
        assertEquals(ErrnoException.class, generic.getClass());
        assertEquals(Errno.EIO, ((ErrnoException)generic).errno());
        assertEquals("/dev/loop9: pread: Input/output error (EIO)", generic.getMessage());
        assertEquals(ErrnoException.class, Errno.exception("pwrite", "/x", Errno.EINVAL).getClass());
        assertEquals("/x: open: Device or resource busy (EBUSY)", Errno.exception("open", "/x", Errno.EBUSY).getMessage());
        assertEquals("/x: open: No such file or directory (ENOENT)",
            Errno.exception("open", "/x", Errno.ENOENT).getMessage());
        assertEquals("errno 1000", Errno.name(1000));
    }

    @Test
    void realCallsCaptureErrno(@TempDir final Path dir) throws IOException
    {
        final String missing = dir.resolve("missing").toString();
        final NoSuchFileException ex = assertThrows(NoSuchFileException.class, () -> Libc.open(missing, Libc.O_RDONLY, 0));
        assertEquals(missing + ": open: No such file or directory (ENOENT)", ex.getMessage());

        final String file = dir.resolve("f").toString();
        final int fd = Libc.open(file, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0600);
        try
        {
            final NotSupportedException notBlock =
                assertThrows(NotSupportedException.class, () -> Libc.ioctlLong(fd, Libc.BLKGETSIZE64, file));
            assertEquals(Errno.ENOTTY, notBlock.errno());
            assertTrue(notBlock.getMessage().startsWith(file + ": ioctl(BLKGETSIZE64): "), notBlock.getMessage());
            assertTrue(Libc.fstat(fd, file).isRegularFile());
            assertEquals(-1, Libc.lseek(fd, 0, Libc.SEEK_DATA, file), "an empty file has no data");
        }
        finally
        {
            Libc.close(fd);
        }
        final ErrnoException badFd = assertThrows(ErrnoException.class, () -> Libc.close(fd));
        assertEquals(Errno.EBADF, badFd.errno());
    }
}
