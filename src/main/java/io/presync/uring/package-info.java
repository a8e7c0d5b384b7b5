/**
 * io_uring driven from Java: {@link io.presync.uring.Ring} (one per thread) writes SQEs into the
 * kernel-mapped submission ring ({@link io.presync.uring.SqeDescriptor}), submits a batch with one
 * syscall and reaps completions ({@link io.presync.uring.CqeDescriptor}) into a
 * {@link io.presync.uring.CompletionHandler} without allocating. {@link io.presync.uring.UserData}
 * encodes completion keys; {@link io.presync.uring.UringException} turns a negative result into a typed
 * error at the API edge; {@link io.presync.uring.Ring#unavailableReason()} says in one sentence why
 * io_uring cannot be used when it cannot.
 */
package io.presync.uring;
