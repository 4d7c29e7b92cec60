package org.capbus.deploy;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps the module boundaries of DESIGN.md true in the compiled classes: {@code core} uses nothing outside
 * {@code java.base}, and references between capbus modules only point down
 * {@code core <- dbus-bridge <- adapters <- deploy}, with {@code config} depending on none of them.
 *
 * <p>Reads every module's {@code target/classes} (siblings of this module's directory, the test's working directory)
 * with the {@code java.lang.classfile} API and collects every class a class file names: constant-pool class entries,
 * the types in member and call-site descriptors (a type used only in a signature has no class entry) and annotation
 * types. A module whose classes are missing fails the test, so it cannot pass by finding nothing.
 */
class ModuleBoundariesTest {

    /** A module directory, the package its classes live in, and the capbus packages it must not reference. */
    private record Module(String directory, String ownPackage, List<String> forbidden) {
    }

    private static final List<Module> MODULES = List.of(
            new Module("core", "org.capbus.core", List.of("org.capbus")),
            new Module("config", "org.capbus.config",
                    List.of("org.capbus.core", "org.capbus.dbus", "org.capbus.adapters", "org.capbus.deploy")),
            new Module("dbus-bridge", "org.capbus.dbus", List.of("org.capbus.adapters", "org.capbus.deploy")),
            new Module("adapters", "org.capbus.adapters", List.of("org.capbus.deploy")),
            new Module("deploy", "org.capbus.deploy", List.of()));

    private static final Pattern OBJECT_TYPE = Pattern.compile("L([^;<]+);");

    @Test
    void shouldFindCompiledClassesForEveryModule() {
        for (Module m : MODULES) {
            assertThat(classFiles(m)).as("compiled classes of module %s in %s", m.directory(), classesDir(m))
                    .isNotEmpty();
        }
    }

    @Test
    void shouldKeepCoreWithinJavaBase() {
        Set<String> javaBase = ModuleLayer.boot().findModule("java.base").orElseThrow().getPackages();
        Module core = MODULES.getFirst();
        List<String> violations = new ArrayList<>();
        for (Path file : classFiles(core)) {
            ClassModel model = parse(file);
            for (String ref : references(model)) {
                String pkg = packageOf(ref);
                if (!javaBase.contains(pkg) && !within(pkg, core.ownPackage())) {
                    violations.add(name(model) + " -> " + ref);
                }
            }
        }
        assertThat(violations).as("core must reference java.base only").isEmpty();
    }

    @Test
    void shouldPointCapbusReferencesDownTheLayers() {
        List<String> violations = new ArrayList<>();
        for (Module m : MODULES) {
            for (Path file : classFiles(m)) {
                ClassModel model = parse(file);
                for (String ref : references(model)) {
                    String pkg = packageOf(ref);
                    if (within(pkg, m.ownPackage())) {
                        continue;
                    }
                    for (String forbidden : m.forbidden()) {
                        if (within(pkg, forbidden)) {
                            violations.add(m.directory() + ": " + name(model) + " -> " + ref);
                        }
                    }
                }
            }
        }
        assertThat(violations).as("references against core <- dbus-bridge <- adapters <- deploy").isEmpty();
    }

    @Test
    void shouldSeeAReferenceInADescriptor() {
        // The scan must find what it is meant to forbid: JUnit's @Test is named only in an annotation attribute, and
        // ClassModel only in a method descriptor and calls.
        Path self = Path.of("target", "test-classes", "org", "capbus", "deploy", "ModuleBoundariesTest.class");
        assertThat(references(parse(self))).contains("org.junit.jupiter.api.Test", "java.lang.classfile.ClassModel");
    }

    private static Path classesDir(Module m) {
        return Path.of("..", m.directory(), "target", "classes").toAbsolutePath().normalize();
    }

    private static List<Path> classFiles(Module m) {
        Path dir = classesDir(m);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ClassModel parse(Path file) {
        try {
            return ClassFile.of().parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    /** Annotation types are named by descriptor in their attribute, not by a class entry. */
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

    private static boolean within(String pkg, String prefix) {
        return pkg.equals(prefix) || pkg.startsWith(prefix + ".");
    }

    private static String name(ClassModel model) {
        return model.thisClass().asInternalName().replace('/', '.');
    }
}
