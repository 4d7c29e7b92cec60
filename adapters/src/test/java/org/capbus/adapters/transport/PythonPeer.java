package org.capbus.adapters.transport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code fd_peer.py} with Debian's {@code /usr/bin/python3} as a real, independent client of the transport
 * (not the pyenv interpreter on PATH: the tests must not depend on a developer's shell setup).
 */
final class PythonPeer {
    private static final String PYTHON = "/usr/bin/python3";

    private PythonPeer() {
    }

    /** Starts the script; {@link #finish} collects its output. */
    static Process start(Path workDir, String... arguments) throws IOException {
        Path script = workDir.resolve("fd_peer.py");
        if (!Files.exists(script)) {
            try (InputStream in = PythonPeer.class.getResourceAsStream("fd_peer.py")) {
                Files.copy(in, script);
            }
        }
        List<String> command = new java.util.ArrayList<>(List.of(PYTHON, script.toString()));
        command.addAll(List.of(arguments));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /** Waits for the script to exit and returns its output lines; fails if it did not exit cleanly. */
    static List<String> finish(Process process) throws Exception {
        if (!process.waitFor(TransportTestSupport.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("python peer did not finish");
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new AssertionError("python peer failed:\n" + output);
        }
        return output.lines().toList();
    }
}
