package org.capbus.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

import static org.capbus.deploy.CompiledClasses.name;
import static org.capbus.deploy.CompiledClasses.packageOf;
import static org.capbus.deploy.CompiledClasses.parse;
import static org.capbus.deploy.CompiledClasses.references;
import static org.capbus.deploy.CompiledClasses.within;

/**
 * Keeps the module boundaries of DESIGN.md true in the compiled classes: {@code core} uses nothing outside
 * {@code java.base}, and references between capbus modules only point down
 * {@code core <- dbus-bridge <- adapters <- deploy}, with {@code config} depending on none of them.
 *
 * <p>Reads every module's compiled classes ({@link CompiledClasses}). A module whose classes are missing fails the
 * test, so it cannot pass by finding nothing.
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
        return CompiledClasses.classesDir(m.directory());
    }

    private static List<Path> classFiles(Module m) {
        return CompiledClasses.classFiles(m.directory());
    }
}
