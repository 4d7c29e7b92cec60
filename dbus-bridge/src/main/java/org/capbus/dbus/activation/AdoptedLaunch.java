package org.capbus.dbus.activation;

import java.util.Optional;

/**
 * A service's child that a previous bus process started, carried over by a live upgrade (docs/live-upgrade.md): it
 * is not this process's child, so its exit status cannot be known, and its exit is not watched (a service's Exec=
 * that forks its daemon and exits 0 is no failure, and a failure could not be told apart from it). The activation
 * ends when the name gets its owner, or at its timeout, when the child is killed as dbus-daemon kills it.
 *
 * <p>The handle is taken at restore: {@link ProcessHandle} checks the process's start time before it kills, so a pid
 * reused after the child ended is never hit. Any thread.
 */
public final class AdoptedLaunch implements ServiceLauncher.Launch {
    private final long pid;
    private final Optional<ProcessHandle> process;

    public AdoptedLaunch(long pid) {
        this.pid = pid;
        this.process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
    }

    @Override
    public void kill() {
        process.ifPresent(ProcessHandle::destroyForcibly);
    }

    @Override
    public long pid() {
        return pid;
    }
}
