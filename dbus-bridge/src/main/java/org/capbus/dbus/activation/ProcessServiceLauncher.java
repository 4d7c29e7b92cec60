package org.capbus.dbus.activation;

import java.io.File;
import java.io.IOException;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts activated services as child processes with the JDK's {@link ProcessBuilder}: fork and exec happen on the
 * executor for blocking work, never on the bus's loop. The child gets exactly the request's environment, stdin
 * from {@code /dev/null}, the bus's stdout and stderr, and no other descriptor of the bus (the JDK's child setup
 * closes every descriptor above 2 before exec, so no socket of the bus leaks into a service). The JDK's reaper
 * thread waits for each child, so none is left a zombie.
 *
 * <p>Exit statuses: the JDK reports a child killed by signal N as status 128 + N, the way a shell does, so a
 * program that itself exits with 129..192 is reported as signaled; dbus-daemon, reading the raw wait status, tells
 * them apart.
 *
 * <p>Thread-safe: every method may be called from any thread; callbacks run on the launch's own thread or the
 * JDK's process-exit thread.
 */
public final class ProcessServiceLauncher implements ServiceLauncher {
    private static final Logger log = LoggerFactory.getLogger(ProcessServiceLauncher.class);
    private static final File DEV_NULL = new File("/dev/null");
    /**
     * The JDK's exec failure: {@code Cannot run program "x": Exec failed, error: 2 (No such file or directory)} (JDK
     * 25), or {@code ...: error=2, No such file or directory} (older JDKs).
     */
    private static final Pattern EXEC_ERROR = Pattern.compile("error(?:: \\d+ \\((.*)\\)|=\\d+, (.*))\\s*$");
    private static final int SIGNAL_BASE = 128;
    private static final int MAX_SIGNAL = 64;

    private final java.util.concurrent.Executor blocking;

    /** A launcher that forks and execs on {@code blocking} (the bus's executor for blocking work). */
    public ProcessServiceLauncher(java.util.concurrent.Executor blocking) {
        this.blocking = blocking;
    }

    /** A launcher that forks and execs on a virtual thread of each launch's own. */
    public ProcessServiceLauncher() {
        this(task -> Thread.ofVirtual().name("capbus-launch").start(task));
    }

    @Override
    public Launch launch(LaunchRequest request, Consumer<ActivationError> onFailure) {
        ChildLaunch child = new ChildLaunch();
        blocking.execute(() -> run(request, onFailure, child));
        return child;
    }

    private static void run(LaunchRequest request, Consumer<ActivationError> onFailure, ChildLaunch child) {
        ProcessBuilder pb = new ProcessBuilder(request.argv());
        pb.environment().clear();
        pb.environment().putAll(request.environment());
        pb.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
        pb.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            onFailure.accept(ActivationError.execFailed(request.serviceName(), reason(e)));
            return;
        }
        log.debug("started {} as pid {}", request.serviceName(), process.pid());
        if (!child.started(process)) {
            process.destroyForcibly();
        }
        process.onExit().thenAccept(p -> {
            ActivationError error = errorOf(request, p.exitValue());
            if (error != null) {
                onFailure.accept(error);
            }
        });
    }

    /** The failure a child's exit status means, or null for success (status 0). */
    static ActivationError errorOf(LaunchRequest request, int status) {
        if (status == 0) {
            return null;
        }
        if (request.launchHelper()) {
            return ActivationError.fromLaunchHelper(status);
        }
        if (status > SIGNAL_BASE && status <= SIGNAL_BASE + MAX_SIGNAL) {
            return ActivationError.childSignaled(request.serviceName(), status - SIGNAL_BASE);
        }
        return ActivationError.childExited(request.serviceName(), status);
    }

    /** The system's text of an exec failure, as strerror gives it. */
    static String reason(IOException e) {
        String m = String.valueOf(e.getMessage());
        Matcher matcher = EXEC_ERROR.matcher(m);
        if (!matcher.find()) {
            return m;
        }
        return matcher.group(1) != null ? matcher.group(1) : matcher.group(2).strip();
    }

    /** A child that may not have been started yet when it is killed. */
    private static final class ChildLaunch implements Launch {
        private Process process;
        private boolean killed;

        /** Records the started process; false if it was killed meanwhile (the caller kills it). */
        synchronized boolean started(Process p) {
            process = p;
            return !killed;
        }

        @Override
        public synchronized void kill() {
            killed = true;
            if (process != null) {
                process.destroyForcibly();
            }
        }

        @Override
        public synchronized long pid() {
            return process == null ? -1 : process.pid();
        }
    }
}
