package org.capbus.core;

/** A budget of queued resources. */
public record Limits(long bytes, long messages, long handles, long fds) {
}
