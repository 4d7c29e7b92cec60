package org.capbus.dbus.activation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.capbus.config.ServiceCatalog;
import org.capbus.config.ServiceDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceDirectoryWatcherTest {
    @TempDir
    Path dir;

    private static void write(Path file, String name) throws Exception {
        Files.writeString(file, "[D-BUS Service]\nName=" + name + "\nExec=/bin/true\n");
    }

    private static ServiceCatalog until(LinkedBlockingQueue<ServiceCatalog> q, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            ServiceCatalog c = q.poll(100, TimeUnit.MILLISECONDS);
            if (c != null && c.get(name) != null) {
                return c;
            }
        }
        throw new AssertionError("no catalog with " + name);
    }

    @Test
    void shouldPublishAtConfigureAndWhenAWatchedDirectoryChanges() throws Exception {
        write(dir.resolve("a.service"), "org.example.A");
        LinkedBlockingQueue<ServiceCatalog> q = new LinkedBlockingQueue<>();
        try (ServiceDirectoryWatcher w = new ServiceDirectoryWatcher(java.util.concurrent.Executors.newSingleThreadExecutor(), q::add)) {
            w.configure(List.of(new ServiceDir(dir, true, false)), false);
            until(q, "org.example.A");
            write(dir.resolve("b.service"), "org.example.B");
            assertThat(until(q, "org.example.B").services()).containsKeys("org.example.A", "org.example.B");
        }
    }

    @Test
    void shouldRereadAnUnwatchedDirectoryOnRescanOnlyWhenItChanged() throws Exception {
        LinkedBlockingQueue<ServiceCatalog> q = new LinkedBlockingQueue<>();
        try (ServiceDirectoryWatcher w = new ServiceDirectoryWatcher(java.util.concurrent.Executors.newSingleThreadExecutor(), q::add)) {
            w.configure(List.of(new ServiceDir(dir, false, true)), false);
            assertThat(q.poll(20, TimeUnit.SECONDS).services()).isEmpty();
            CountDownLatch unchanged = new CountDownLatch(1);
            w.rescan(unchanged::countDown);
            assertThat(unchanged.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(q).isEmpty();
            write(dir.resolve("org.example.C.service"), "org.example.C");
            CountDownLatch changed = new CountDownLatch(1);
            w.rescan(changed::countDown);
            assertThat(changed.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(q.poll().get("org.example.C")).isNotNull();
        }
    }
}
