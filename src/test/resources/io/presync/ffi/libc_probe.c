/* Prints the libc constants and struct stat offsets that io.presync.ffi.Libc hard-codes, as
 * NAME=VALUE lines; LibcConstantsTest compiles it with gcc against the installed headers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define P(name) printf(#name "=%lld\n", (long long)(name))
#define OFF(field) printf("STAT_" #field "=%zu\n", offsetof(struct stat, field))

int main(void)
{
    P(O_RDONLY); P(O_WRONLY); P(O_RDWR); P(O_CREAT); P(O_EXCL); P(O_TRUNC); P(O_NONBLOCK); P(O_DIRECT); P(O_CLOEXEC);
    P(SEEK_SET); P(SEEK_DATA); P(SEEK_HOLE);
    P(FALLOC_FL_KEEP_SIZE); P(FALLOC_FL_PUNCH_HOLE); P(FALLOC_FL_ZERO_RANGE);
    P(BLKGETSIZE64); P(BLKSSZGET); P(BLKPBSZGET); P(BLKDISCARD); P(BLKZEROOUT);
    P(PROT_READ); P(PROT_WRITE); P(MAP_PRIVATE); P(MAP_ANONYMOUS); P(AT_FDCWD);
    P(SYS_lseek); P(SYS_mmap); P(SYS_munmap); P(SYS_close); P(SYS_fstat); P(SYS_ioctl); P(SYS_pread64);
    P(SYS_pwrite64); P(SYS_fsync); P(SYS_openat); P(SYS_newfstatat); P(SYS_fallocate); P(SYS_io_uring_setup); P(SYS_io_uring_enter); P(SYS_io_uring_register); P(SYS_sched_setaffinity); P(SYS_getcpu); P(SYS_madvise); P(MADV_HUGEPAGE);
    P(EPERM); P(ENOENT); P(EINTR); P(EIO); P(ENXIO); P(EBADF); P(EAGAIN); P(EACCES); P(EBUSY); P(EEXIST);
    P(ENODEV); P(EINVAL); P(ENOTTY); P(ENOSPC); P(EROFS); P(ENOSYS); P(EOPNOTSUPP); P(EDQUOT);
    printf("STAT_BYTES=%zu\n", sizeof(struct stat));
    OFF(st_mode); OFF(st_rdev); OFF(st_size); OFF(st_blksize); OFF(st_blocks);
    return 0;
}
