package org.capbus.bench.wire;

/**
 * One shape on one protocol, connected and ready: {@link #run} does a number of operations and returns when every
 * one has completed (every reply or delivery has arrived). Driven by the benchmark's main thread.
 */
interface Workload extends AutoCloseable {

    /** Performs {@code ops} operations (calls, or deliveries for a multicast); blocks until all have completed. */
    void run(long ops) throws Exception;

    /** Operations that failed (refused sends, error replies) since the workload was made; 0 in a valid run. */
    long failures();

    @Override
    void close() throws Exception;
}
