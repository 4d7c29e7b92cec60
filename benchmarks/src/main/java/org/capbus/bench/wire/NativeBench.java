package org.capbus.bench.wire;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The native protocol's load generator (issue 11's benchmark): each {@link Shape} over capbus's native protocol and
 * the same shape over D-Bus, through one running bus, for a fixed number of operations per run; several rounds
 * (native and D-Bus alternating, the first of each pair alternating too), medians. For each run it takes the
 * throughput and the <em>bus process's</em> own CPU per operation ({@code /proc/PID/stat} before and after), which
 * is the figure that counts on a shared machine, plus this process's CPU and the rest of the machine's as noise.
 *
 * <p>Usage: {@code NativeBench --address unix:path=SOCKET --bus-pid PID [--rounds 5] [--scale 1.0]
 * [--shapes roundtrip_d1,...] [--sides native,dbus] [--metrics URL] [--out FILE.md]}. scripts/native-bench.sh starts
 * a bus and runs it. One thread drives; each connection's reading thread answers.
 */
public final class NativeBench {
    enum Side { NATIVE, DBUS }

    /** One measured run. */
    private record Run(double opsPerSecond, double busMicrosPerOp, double clientMicrosPerOp, double otherCores,
                       double load, double syscallsPerOp) {
    }

    /** The figures of a side that was not run (--sides). */
    private static final Run NO_RUN = new Run(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN);

    private NativeBench() {
    }

    public static void main(String[] args) throws Exception {
        String address = null;
        long busPid = -1;
        int rounds = 5;
        double scale = 1.0;
        String out = null;
        String metrics = null;
        List<Shape> shapes = new ArrayList<>(Arrays.asList(Shape.values()));
        List<Side> sides = new ArrayList<>(Arrays.asList(Side.values()));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--address" -> address = args[++i];
                case "--bus-pid" -> busPid = Long.parseLong(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--scale" -> scale = Double.parseDouble(args[++i]);
                case "--out" -> out = args[++i];
                case "--metrics" -> metrics = args[++i];
                case "--shapes" -> {
                    shapes.clear();
                    for (String s : args[++i].split(",")) {
                        shapes.add(Shape.valueOf(s.trim().toUpperCase(Locale.ROOT)));
                    }
                }
                case "--sides" -> {
                    sides.clear();
                    for (String s : args[++i].split(",")) {
                        sides.add(Side.valueOf(s.trim().toUpperCase(Locale.ROOT)));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (address == null || busPid < 0) {
            throw new IllegalArgumentException("usage: NativeBench --address unix:path=SOCKET --bus-pid PID"
                    + " [--rounds N] [--scale F] [--shapes a,b] [--sides native,dbus] [--out FILE.md]");
        }
        String socketPath = socketPath(address);
        String table = run(address, socketPath, busPid, new BusSyscalls(metrics), rounds, scale, shapes, sides);
        System.out.println(table);
        if (out != null) {
            Files.writeString(Path.of(out), table);
        }
    }

    /** Runs every shape {@code rounds} times on both sides; returns the markdown table of medians. */
    static String run(String address, String socketPath, long busPid, BusSyscalls syscalls, int rounds, double scale,
                      List<Shape> shapes, List<Side> sides) throws Exception {
        // The bus's JIT warms up on every path before anything counts.
        for (Shape shape : shapes) {
            long ops = ops(shape, scale * 0.5);
            for (Side side : sides) {
                measure(side, shape, address, socketPath, busPid, syscalls, ops);
            }
        }
        Map<Shape, Map<Side, List<Run>>> runs = new EnumMap<>(Shape.class);
        for (int round = 0; round < rounds; round++) {
            for (Shape shape : shapes) {
                List<Side> order = new ArrayList<>(sides);
                if (round % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (Side side : order) {
                    Run r = measure(side, shape, address, socketPath, busPid, syscalls, ops(shape, scale));
                    runs.computeIfAbsent(shape, s -> new EnumMap<>(Side.class))
                            .computeIfAbsent(side, s -> new ArrayList<>()).add(r);
                    System.err.printf(Locale.ROOT, "round %d %-14s %-6s %10.0f %s/s  bus %7.2f us/%s  client %7.2f"
                                    + "  other %.2f cores  load %.2f  bus syscalls/op %.2f%n", round + 1, shape.key(),
                            side, r.opsPerSecond, shape.unit, r.busMicrosPerOp, shape.unit, r.clientMicrosPerOp,
                            r.otherCores, r.load, r.syscallsPerOp);
                }
            }
        }
        return table(runs, rounds);
    }

    private static long ops(Shape shape, double scale) {
        long unit = Math.max(1, shape.receivers);
        return Math.max(unit * 4, Math.round(shape.defaultOps * scale / unit) * unit);
    }

    private static Run measure(Side side, Shape shape, String address, String socketPath, long busPid,
                               BusSyscalls syscalls, long ops) throws Exception {
        try (Workload w = side == Side.NATIVE ? NativeWorkloads.create(shape, address)
                : DBusWorkloads.create(shape, socketPath)) {
            // A short unmeasured start, so connection set-up and first-use costs stay out of the figures.
            w.run(Math.max(Math.max(1, shape.receivers), ops / 10 / Math.max(1, shape.receivers)
                    * Math.max(1, shape.receivers)));
            double load = ProcessCpu.loadAverage();
            long self = ProcessHandle.current().pid();
            long bus0 = ProcessCpu.ofProcess(busPid);
            long me0 = ProcessCpu.ofProcess(self);
            long sys0 = syscalls.total();
            long all0 = ProcessCpu.ofMachine();
            long t0 = System.nanoTime();
            w.run(ops);
            long t1 = System.nanoTime();
            long bus = ProcessCpu.ofProcess(busPid) - bus0;
            long me = ProcessCpu.ofProcess(self) - me0;
            long all = ProcessCpu.ofMachine() - all0;
            long sys = syscalls.total() - sys0;
            if (w.failures() > 0) {
                throw new IllegalStateException(side + " " + shape.key() + ": " + w.failures() + " operations failed");
            }
            double seconds = (t1 - t0) / 1e9;
            return new Run(ops / seconds, bus / 1e3 / ops, me / 1e3 / ops,
                    Math.max(0, all - bus - me) / 1e9 / seconds, Math.max(load, ProcessCpu.loadAverage()),
                    syscalls.enabled() ? (double) sys / ops : Double.NaN);
        }
    }

    private static String table(Map<Shape, Map<Side, List<Run>>> runs, int rounds) {
        StringBuilder sb = new StringBuilder();
        sb.append("| shape | native ops/s | D-Bus ops/s | native/D-Bus throughput | bus CPU per op, native (us)"
                + " | bus CPU per op, D-Bus (us) | native/D-Bus bus CPU | client CPU per op, native / D-Bus (us)"
                + " | bus syscalls per op, native / D-Bus | load average |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map.Entry<Shape, Map<Side, List<Run>>> e : runs.entrySet()) {
            Shape s = e.getKey();
            List<Run> n = e.getValue().getOrDefault(Side.NATIVE, List.of(NO_RUN));
            List<Run> d = e.getValue().getOrDefault(Side.DBUS, List.of(NO_RUN));
            double nOps = median(n, Run::opsPerSecond);
            double dOps = median(d, Run::opsPerSecond);
            double nCpu = median(n, Run::busMicrosPerOp);
            double dCpu = median(d, Run::busMicrosPerOp);
            double load = Math.max(median(n, Run::load), median(d, Run::load));
            double loadMax = Math.max(max(n, Run::load), max(d, Run::load));
            sb.append(String.format(Locale.ROOT, "| %s (per %s) | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.2f"
                            + " | %.2f / %.2f | %.2f / %.2f | %.1f (max %.1f) |%n", s.title, s.unit, nOps, dOps,
                    nOps / dOps, nCpu, dCpu, nCpu / dCpu, median(n, Run::clientMicrosPerOp), median(d, Run::clientMicrosPerOp),
                    median(n, Run::syscallsPerOp), median(d, Run::syscallsPerOp), load, loadMax));
        }
        sb.append(String.format(Locale.ROOT, "%nMedians of %d rounds; bus CPU = utime+stime of the bus process.%n",
                rounds));
        return sb.toString();
    }

    private static double median(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double max(List<Run> runs, java.util.function.ToDoubleFunction<Run> f) {
        return runs.stream().mapToDouble(f).max().orElse(0);
    }

    private static String socketPath(String address) throws IOException {
        for (String part : address.split(";")[0].substring(address.indexOf(':') + 1).split(",")) {
            if (part.startsWith("path=")) {
                return part.substring(5);
            }
        }
        throw new IOException("only unix:path= addresses are supported: " + address);
    }
}
