package io.presync.ffi;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The constants Libc hard-codes equal the C headers' (gcc compiles libc_probe.c). */
class LibcConstantsTest
{
    @Test
    void constantsAndStatLayoutMatchTheHeaders(@TempDir final Path dir) throws Exception
    {
        final Map<String, Long> c = probe(dir);
        for (final String name : new String[] {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_CREAT", "O_EXCL", "O_TRUNC",
            "O_NONBLOCK", "O_DIRECT", "O_CLOEXEC", "SEEK_SET", "SEEK_DATA", "SEEK_HOLE", "FALLOC_FL_KEEP_SIZE",
            "FALLOC_FL_PUNCH_HOLE", "FALLOC_FL_ZERO_RANGE", "BLKGETSIZE64", "BLKSSZGET", "BLKPBSZGET", "BLKDISCARD",
            "BLKZEROOUT", "PROT_READ", "PROT_WRITE", "MAP_PRIVATE", "MAP_ANONYMOUS", "AT_FDCWD", "MADV_HUGEPAGE"})
        {
            assertEquals(c.get(name), ((Number)field(Libc.class, name)).longValue(), name);
        }
        // The system call numbers Libc passes to syscall(2): SYS_openat is Libc.SYS_OPENAT.
        for (final String name : new String[] {"lseek", "mmap", "munmap", "close", "fstat", "ioctl", "pread64",
            "pwrite64", "fsync", "openat", "newfstatat", "fallocate", "io_uring_setup", "io_uring_enter", "io_uring_register",
            "sched_setaffinity", "getcpu", "madvise"})
        {
            assertEquals(c.get("SYS_" + name), ((Number)field(Libc.class, "SYS_" + name.toUpperCase())).longValue(),
                "SYS_" + name);
        }
        for (final String name : new String[] {"EPERM", "ENOENT", "EINTR", "EIO", "ENXIO", "EBADF", "EAGAIN",
            "EACCES", "EBUSY", "EEXIST", "ENODEV", "EINVAL", "ENOTTY", "ENOSPC", "EROFS", "ENOSYS", "EOPNOTSUPP",
            "EDQUOT"})
        {
            assertEquals(c.get(name), ((Number)field(Errno.class, name)).longValue(), name);
            assertEquals(name, Errno.name(c.get(name).intValue()));
        }
        assertEquals(c.get("STAT_BYTES"), Libc.STAT_BYTES);
        assertEquals(c.get("STAT_st_mode"), Libc.STAT_MODE_OFFSET);
        assertEquals(c.get("STAT_st_rdev"), Libc.STAT_RDEV_OFFSET);
        assertEquals(c.get("STAT_st_size"), Libc.STAT_SIZE_OFFSET);
        assertEquals(c.get("STAT_st_blksize"), Libc.STAT_BLKSIZE_OFFSET);
        assertEquals(c.get("STAT_st_blocks"), Libc.STAT_BLOCKS_OFFSET);
    }

    private static Object field(final Class<?> type, final String name) throws ReflectiveOperationException
    {
        final Field field = type.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(null);
    }

    static Map<String, Long> probe(final Path dir) throws Exception
    {
        final Path source = dir.resolve("libc_probe.c");
        try (InputStream in = LibcConstantsTest.class.getResourceAsStream("libc_probe.c"))
        {
            Files.write(source, in.readAllBytes());
        }
        final Path binary = dir.resolve("libc_probe");
        final Process gcc;
        try
        {
            gcc = new ProcessBuilder("gcc", "-o", binary.toString(), source.toString()).redirectErrorStream(true).start();
        }
        catch (final java.io.IOException ex)
        {
            Assumptions.abort("gcc is not installed: " + ex.getMessage());
            throw ex;
        }
        final String gccOutput = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), gccOutput);
        final Process run = new ProcessBuilder(binary.toString()).start();
        final String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, run.waitFor());
        final Map<String, Long> values = new HashMap<>();
        for (final String line : out.split("\n"))
        {
            final int eq = line.indexOf('=');
            assertTrue(eq > 0, line);
            values.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
        }
        return values;
    }
}
