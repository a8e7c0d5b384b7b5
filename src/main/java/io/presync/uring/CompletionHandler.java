package io.presync.uring;

/**
 * Receives completions from {@link Ring#reap}. Called on the ring's thread while the CQE is still in
 * the ring, so implementations must not keep references; a handler is usually a long-lived object
 * (not a capturing lambda) that decodes {@code userData} with {@link UserData} to find its state.
 */
@FunctionalInterface
public interface CompletionHandler
{
    /**
     * @param userData the value given when the operation was prepared.
     * @param result   bytes transferred, 0, or a negative errno (turn it into an exception with
     *                 {@link UringException#forResult}).
     * @param flags    the CQE flags ({@code IORING_CQE_F_*}).
     */
    void onCompletion(long userData, int result, int flags);
}
