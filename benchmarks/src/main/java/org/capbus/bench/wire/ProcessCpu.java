package org.capbus.bench.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time from /proc: a process's own (utime + stime of {@code /proc/PID/stat}, every thread it ever had), the
 * machine's busy time (the first line of {@code /proc/stat}), and the load average. Jiffies are converted with the
 * kernel's USER_HZ of 100 (as on every Linux this runs on).
 */
final class ProcessCpu {
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ProcessCpu() {
    }

    /** CPU time used by process {@code pid} so far, in nanoseconds. */
    static long ofProcess(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
    }

    /** Busy CPU time of the whole machine so far (all but idle and iowait), in nanoseconds. */
    static long ofMachine() throws IOException {
        String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
        String[] f = line.trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            if (i != 4 && i != 5) {
                busy += Long.parseLong(f[i]);
            }
        }
        return busy * NANOS_PER_TICK;
    }

    /** The 1-minute load average. */
    static double loadAverage() throws IOException {
        return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    }
}
