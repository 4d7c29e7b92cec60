package org.capbus.dbus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.AttributedElement;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.constantpool.NameAndTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.nio.file.Files;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the packages of dbus-bridge free of import circles: layers only look down (DESIGN.md, "Inside the bridge"),
 * so that, for example, routing and the driver never reach back into the composition root. The module test in
 * {@code deploy} checks references between modules; this one checks them between the packages of this module.
 *
 * <p>Reads the compiled classes in {@code target/classes} with the {@code java.lang.classfile} API, takes every
 * class a class file names (constant-pool class entries, member and call-site descriptors, annotation types), builds
 * the graph of references between {@code org.capbus.dbus*} packages and reports each strongly connected component
 * of more than one package, with one cycle in it spelled out.
 */
class PackageCyclesTest {
    private static final String ROOT = "org.capbus.dbus";
    private static final Pattern OBJECT_TYPE = Pattern.compile("L([^;<]+);");

    @Test
    void shouldHaveNoImportCircleBetweenPackages() {
        Map<String, Set<String>> graph = packageGraph();
        List<String> circles = new ArrayList<>();
        for (Set<String> component : stronglyConnected(graph)) {
            if (component.size() > 1) {
                circles.add(component + ", e.g. " + String.join(" -> ", cycleIn(component, graph)));
            }
        }
        assertThat(circles).as("import circles between packages of dbus-bridge").isEmpty();
    }

    @Test
    void shouldSeeTheReferencesItJudges() {
        // The scan must find what it judges: the composition root refers to the packages below it.
        Map<String, Set<String>> graph = packageGraph();
        assertThat(graph.keySet()).contains(ROOT + ".broker", ROOT + ".broker.state", ROOT + ".driver");
        assertThat(graph.get(ROOT + ".broker")).contains(ROOT + ".broker.state", ROOT + ".driver");
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

    /** Package to the other dbus-bridge packages its classes refer to. */
    private static Map<String, Set<String>> packageGraph() {
        Path classes = Path.of("target", "classes").toAbsolutePath();
        assertThat(classes).as("compiled classes of dbus-bridge").isDirectory();
        Map<String, Set<String>> graph = new TreeMap<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                ClassModel model = ClassFile.of().parse(Files.readAllBytes(file));
                String from = packageOf(model.thisClass().asInternalName().replace('/', '.'));
                if (!within(from)) {
                    continue;
                }
                Set<String> edges = graph.computeIfAbsent(from, k -> new TreeSet<>());
                for (String ref : references(model)) {
                    String to = packageOf(ref);
                    if (within(to) && !to.equals(from)) {
                        edges.add(to);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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

    /** Binary names (dotted) of every class the class file refers to, arrays reduced to their element type. */
    private static Set<String> references(ClassModel model) {
        Set<String> refs = new TreeSet<>();
        for (PoolEntry entry : model.constantPool()) {
            switch (entry) {
                case ClassEntry c -> addInternalName(refs, c.asInternalName());
                case NameAndTypeEntry nt -> addDescriptor(refs, nt.type().stringValue());
                case MethodTypeEntry mt -> addDescriptor(refs, mt.descriptor().stringValue());
                default -> { }
            }
        }
        addAnnotations(refs, model);
        for (FieldModel f : model.fields()) {
            addDescriptor(refs, f.fieldType().stringValue());
            addAnnotations(refs, f);
        }
        for (MethodModel m : model.methods()) {
            addDescriptor(refs, m.methodType().stringValue());
            addAnnotations(refs, m);
        }
        return refs;
    }

    private static void addAnnotations(Set<String> refs, AttributedElement element) {
        element.findAttribute(Attributes.runtimeVisibleAnnotations())
                .ifPresent(a -> a.annotations().forEach(x -> addDescriptor(refs, x.className().stringValue())));
        element.findAttribute(Attributes.runtimeInvisibleAnnotations())
                .ifPresent(a -> a.annotations().forEach(x -> addDescriptor(refs, x.className().stringValue())));
    }

    private static void addInternalName(Set<String> refs, String internalName) {
        if (internalName.startsWith("[")) {
            addDescriptor(refs, internalName);
        } else {
            refs.add(internalName.replace('/', '.'));
        }
    }

    private static void addDescriptor(Set<String> refs, String descriptor) {
        Matcher m = OBJECT_TYPE.matcher(descriptor);
        while (m.find()) {
            refs.add(m.group(1).replace('/', '.'));
        }
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static boolean within(String pkg) {
        return pkg.equals(ROOT) || pkg.startsWith(ROOT + ".");
    }
}
