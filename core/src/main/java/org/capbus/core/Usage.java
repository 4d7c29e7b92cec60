package org.capbus.core;

/**
 * What one sending user currently has charged to one {@link Account}: the user's share of that account.
 *
 * <p>Owned by its account and created the first time the user charges it; it lives as long as the account, so a
 * steady flow of messages between two users allocates nothing. Queue entries point at the usages they charged, so
 * returning a charge needs no lookup. Event-loop thread only.
 */
final class Usage {
    final Account account;
    final User user;
    long bytes;
    long messages;
    long handles;
    long fds;

    Usage(Account account, User user) {
        this.account = account;
        this.user = user;
    }

    boolean isEmpty() {
        return bytes == 0 && messages == 0 && handles == 0 && fds == 0;
    }
}
