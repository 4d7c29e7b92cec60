package org.capbus.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceCatalogTest {
    @TempDir
    Path root;

    private Path write(Path dir, String file, String name, String exec) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(file), "[D-BUS Service]\nName=" + name + "\nExec=" + exec + "\n");
    }

    @Test
    void shouldTakeTheFirstDirectoryThatProvidesANameAndSkipBadFiles() throws IOException {
        Path a = root.resolve("a");
        Path b = root.resolve("b");
        write(a, "org.example.One.service", "org.example.One", "/bin/one");
        write(b, "org.example.One.service", "org.example.One", "/bin/other");
        write(b, "two.service", "org.example.Two", "/bin/two");
        Files.writeString(b.resolve("broken.service"), "[D-BUS Service]\nName=org.example.Three\nExec\n");
        Files.writeString(b.resolve("ignored.txt"), "not a service");
        ServiceCatalog c = ServiceCatalog.read(List.of(new ServiceDir(a, true, false), new ServiceDir(b, true, false),
                new ServiceDir(root.resolve("missing"), true, false)), false);
        assertThat(c.services().keySet()).containsExactly("org.example.One", "org.example.Two");
        assertThat(c.get("org.example.One").exec()).isEqualTo("/bin/one");
        assertThat(c.problems()).hasSize(2);
        assertThat(c.problems().get(0).toString()).isEqualTo(b.resolve("broken.service") + ":3: No '=' in key/value pair");
        assertThat(c.problems().get(1).reason()).contains("org.example.One already exists");
    }

    @Test
    void shouldRequireCanonicalFileNamesWhereStrict() throws IOException {
        Path a = root.resolve("a");
        write(a, "two.service", "org.example.Two", "/bin/two");
        write(a, "org.example.One.service", "org.example.One", "/bin/one");
        ServiceCatalog strictDir = ServiceCatalog.read(List.of(new ServiceDir(a, false, true)), false);
        ServiceCatalog system = ServiceCatalog.read(List.of(new ServiceDir(a, true, false)), true);
        ServiceCatalog lax = ServiceCatalog.read(List.of(new ServiceDir(a, true, false)), false);
        assertThat(strictDir.services().keySet()).containsExactly("org.example.One");
        assertThat(system.services().keySet()).containsExactly("org.example.One");
        assertThat(system.problems().getFirst().reason()).contains("should have been named \"org.example.Two.service\"");
        assertThat(lax.services().keySet()).containsExactlyInAnyOrder("org.example.One", "org.example.Two");
    }
}
