package org.capbus.deploy;

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
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The compiled classes of capbus's modules, read with the {@code java.lang.classfile} API, for the tests that keep the
 * structure true ({@link ModuleBoundariesTest}, {@link PackageCyclesTest}). A module's classes are in
 * {@code ../MODULE/target/classes} (siblings of this module's directory, the test's working directory). What a class
 * refers to is every class its file names: constant-pool class entries, the types in member and call-site
 * descriptors (a type used only in a signature has no class entry) and annotation types.
 */
final class CompiledClasses {
    private static final Pattern OBJECT_TYPE = Pattern.compile("L([^;<]+);");

    private CompiledClasses() {
    }

    /** {@code target/classes} of module {@code directory}. */
    static Path classesDir(String directory) {
        return Path.of("..", directory, "target", "classes").toAbsolutePath().normalize();
    }

    /** The class files of module {@code directory}, sorted; empty if it has none (the callers fail on that). */
    static List<Path> classFiles(String directory) {
        Path dir = classesDir(directory);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ClassModel parse(Path file) {
        try {
            return ClassFile.of().parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Binary names (dotted) of every class the class file refers to, arrays reduced to their element type. */
    static Set<String> references(ClassModel model) {
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
    static void addAnnotations(Set<String> refs, AttributedElement element) {
        element.findAttribute(Attributes.runtimeVisibleAnnotations())
                .ifPresent(a -> a.annotations().forEach(x -> addDescriptor(refs, x.className().stringValue())));
        element.findAttribute(Attributes.runtimeInvisibleAnnotations())
                .ifPresent(a -> a.annotations().forEach(x -> addDescriptor(refs, x.className().stringValue())));
    }

    static void addInternalName(Set<String> refs, String internalName) {
        if (internalName.startsWith("[")) {
            addDescriptor(refs, internalName);
        } else {
            refs.add(internalName.replace('/', '.'));
        }
    }

    static void addDescriptor(Set<String> refs, String descriptor) {
        Matcher m = OBJECT_TYPE.matcher(descriptor);
        while (m.find()) {
            refs.add(m.group(1).replace('/', '.'));
        }
    }

    static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    static boolean within(String pkg, String prefix) {
        return pkg.equals(prefix) || pkg.startsWith(prefix + ".");
    }

    static String name(ClassModel model) {
        return model.thisClass().asInternalName().replace('/', '.');
    }
}
