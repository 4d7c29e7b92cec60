package org.capbus.deploy.it;

import java.util.List;

/**
 * What a finished client program did: its exit code and everything it printed.
 *
 * @param command  the argument vector that ran
 * @param exitCode the exit status
 * @param stdout   standard output, UTF-8
 * @param stderr   standard error, UTF-8
 */
public record ClientResult(List<String> command, int exitCode, String stdout, String stderr) {
    /** A multi-line account of the run, for assertion messages. */
    public String describe() {
        return "command " + command + " exited " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
}
