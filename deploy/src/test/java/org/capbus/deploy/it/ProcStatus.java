package org.capbus.deploy.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What {@code /proc} says about a process: resident memory, threads and open descriptors, for tests that bound a bus's
 * resources (generous bounds, never timings). A snapshot; read from the test thread.
 *
 * @param rssKiB  {@code VmRSS} of {@code /proc/PID/status}
 * @param threads {@code Threads} of {@code /proc/PID/status}
 * @param fds     entries of {@code /proc/PID/fd}
 */
public record ProcStatus(long rssKiB, int threads, int fds) {

    /** Reads the status of process {@code pid}. */
    public static ProcStatus of(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            long rss = -1;
            int threads = -1;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.substring(8).trim());
                }
            }
            int fds;
            try (Stream<Path> entries = Files.list(proc.resolve("fd"))) {
                fds = (int) entries.count();
            }
            return new ProcStatus(rss, threads, fds);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc for pid " + pid + " (did the bus exit?)", e);
        }
    }

    /** Resident memory in MiB. */
    public long rssMiB() {
        return rssKiB >> 10;
    }

    @Override
    public String toString() {
        return "RSS " + rssMiB() + " MiB, " + threads + " threads, " + fds + " fds";
    }
}
