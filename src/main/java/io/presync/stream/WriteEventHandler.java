package io.presync.stream;

import java.io.IOException;

/**
 * Receives events from a source. The event object is reused for the next call: copy what you keep.
 * Called on the source's consuming thread only.
 */
@FunctionalInterface
public interface WriteEventHandler
{
    void onEvent(WriteEvent event) throws IOException;
}
