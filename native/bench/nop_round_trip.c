/*
 * Baseline for scripts/bench.d/uring: the NOP round trip of io.presync.jmh.uring.NopRoundTripBenchmark
 * done in C with liburing's own helpers (io_uring_get_sqe, io_uring_prep_nop, io_uring_submit_and_wait,
 * io_uring_for_each_cqe), same ring size, same batch protocol: prepare BATCH NOPs, one
 * submit_and_wait(BATCH), reap BATCH.
 *
 * Usage: nop_round_trip BATCH SECONDS REPETITIONS   prints one "ns_per_op" line per repetition.
 */
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_nanos(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static unsigned round_trip(struct io_uring *ring, unsigned batch)
{
    for (unsigned i = 0; i < batch; i++)
    {
        struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, i);
    }
    if (io_uring_submit_and_wait(ring, batch) < 0)
    {
        perror("io_uring_submit_and_wait");
        exit(1);
    }
    unsigned reaped = 0;
    while (reaped < batch)
    {
        struct io_uring_cqe *cqe;
        unsigned head;
        unsigned seen = 0;
        io_uring_for_each_cqe(ring, head, cqe)
        {
            seen++;
        }
        io_uring_cq_advance(ring, seen);
        reaped += seen;
    }
    return reaped;
}

int main(int argc, char **argv)
{
    if (argc != 4)
    {
        fprintf(stderr, "usage: %s BATCH SECONDS REPETITIONS\n", argv[0]);
        return 2;
    }
    const unsigned batch = (unsigned) atoi(argv[1]);
    const double seconds = atof(argv[2]);
    const int repetitions = atoi(argv[3]);
    struct io_uring ring;
    int ret = io_uring_queue_init(64, &ring, 0);
    if (ret < 0)
    {
        fprintf(stderr, "io_uring_queue_init: %d\n", ret);
        return 1;
    }
    /* Warm-up: one repetition's worth, not reported. */
    for (int rep = -1; rep < repetitions; rep++)
    {
        const double start = now_nanos();
        double elapsed;
        unsigned long ops = 0;
        do
        {
            for (int i = 0; i < 64; i++)
            {
                ops += round_trip(&ring, batch);
            }
            elapsed = now_nanos() - start;
        }
        while (elapsed < seconds * 1e9);
        if (rep >= 0)
        {
            printf("ns_per_op %.3f\n", elapsed / ops);
        }
    }
    io_uring_queue_exit(&ring);
    return 0;
}
