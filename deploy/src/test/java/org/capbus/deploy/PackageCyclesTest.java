package org.capbus.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassModel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps the packages of every module free of import circles: layers only look down (DESIGN.md, "Inside the bridge"),
 * so that, for example, routing and the driver never reach back into the bridge's composition root.
 * {@link ModuleBoundariesTest} checks references between modules; this one checks them between the packages of each.
 *
 * <p>Builds, per module, the graph of references between its own packages from its compiled classes
 * ({@link CompiledClasses}) and reports each strongly connected component of more than one package, with one cycle
 * in it spelled out.
 */
class PackageCyclesTest {
    /** Each module's directory and the package its classes live in. */
    private static final Map<String, String> MODULES = Map.of(
            "core", "org.capbus.core",
            "config", "org.capbus.config",
            "dbus-bridge", "org.capbus.dbus",
            "adapters", "org.capbus.adapters",
            "deploy", "org.capbus.deploy");

    @Test
    void shouldHaveNoImportCircleBetweenPackages() {
        List<String> circles = new ArrayList<>();
        for (Map.Entry<String, String> module : new TreeMap<>(MODULES).entrySet()) {
            Map<String, Set<String>> graph = packageGraph(module.getKey(), module.getValue());
            for (Set<String> component : stronglyConnected(graph)) {
                if (component.size() > 1) {
                    circles.add(module.getKey() + ": " + component + ", e.g. "
                            + String.join(" -> ", cycleIn(component, graph)));
                }
            }
        }
        assertThat(circles).as("import circles between the packages of a module").isEmpty();
    }

    @Test
    void shouldSeeTheReferencesItJudges() {
        // The scan must find what it judges: the bridge's composition root refers to the packages below it.
        String root = MODULES.get("dbus-bridge");
        Map<String, Set<String>> graph = packageGraph("dbus-bridge", root);
        assertThat(graph.keySet()).contains(root + ".broker", root + ".broker.state", root + ".driver");
        assertThat(graph.get(root + ".broker")).contains(root + ".broker.state", root + ".driver");
    }

    @Test
    void shouldReportACircleOfThreePackages() {
        Map<String, Set<String>> graph = new TreeMap<>();
        graph.put("a", Set.of("b"));
        graph.put("b", Set.of("c", "d"));
        graph.put("c", Set.of("a"));
        graph.put("d", Set.of());
        List<Set<String>> components = stronglyConnected(graph);
        assertThat(components).contains(new TreeSet<>(List.of("a", "b", "c")), new TreeSet<>(List.of("d")));
        assertThat(cycleIn(new TreeSet<>(List.of("a", "b", "c")), graph)).containsExactly("a", "b", "c", "a");
    }

    /** Package of module {@code directory} to the other packages of that module its classes refer to. */
    private static Map<String, Set<String>> packageGraph(String directory, String root) {
        List<Path> files = CompiledClasses.classFiles(directory);
        assertThat(files).as("compiled classes of %s", directory).isNotEmpty();
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Path file : files) {
            ClassModel model = CompiledClasses.parse(file);
            String from = CompiledClasses.packageOf(CompiledClasses.name(model));
            if (!CompiledClasses.within(from, root)) {
                continue;
            }
            Set<String> edges = graph.computeIfAbsent(from, k -> new TreeSet<>());
            for (String ref : CompiledClasses.references(model)) {
                String to = CompiledClasses.packageOf(ref);
                if (CompiledClasses.within(to, root) && !to.equals(from)) {
                    edges.add(to);
                }
            }
        }
        return graph;
    }

    /** Tarjan's algorithm, iterative enough for a few dozen packages: the strongly connected components. */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<Set<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                strongConnect(v, graph, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private static void strongConnect(String v, Map<String, Set<String>> graph, Map<String, Integer> index,
                                      Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                      List<Set<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]);
        counter[0]++;
        stack.push(v);
        onStack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                strongConnect(w, graph, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }

    /** One cycle through the first package of {@code component}, staying inside it (breadth-first, shortest). */
    private static List<String> cycleIn(Set<String> component, Map<String, Set<String>> graph) {
        String start = component.iterator().next();
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            String v = queue.poll();
            for (String w : graph.getOrDefault(v, Set.of())) {
                if (!component.contains(w)) {
                    continue;
                }
                if (w.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String x = v; x != null; x = parent.get(x)) {
                        path.addFirst(x);
                    }
                    path.add(start);
                    return path;
                }
                if (!parent.containsKey(w) && !w.equals(start)) {
                    parent.put(w, v);
                    queue.add(w);
                }
            }
        }
        return List.of(start);
    }
}
