package org.capbus.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.capbus.config.BusConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConfigReloaderTest {
    private final ExecutorService loop = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    @Test
    void shouldAnswerManyRequestsWithOneLoadEachBatch() throws Exception {
        CountDownLatch firstLoadStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger loads = new AtomicInteger();
        List<String> threads = new CopyOnWriteArrayList<>();
        BusConfig config = BusConfig.builtinSession();
        AtomicInteger applied = new AtomicInteger();
        ConfigReloader<BusConfig> reloader = new ConfigReloader<>(() -> {
            loads.incrementAndGet();
            threads.add(Thread.currentThread().getName());
            firstLoadStarted.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new ConfigReloader.Failure("interrupted");
            }
            return config;
        }, loop, c -> applied.incrementAndGet());
        int requests = 20_000;
        CountDownLatch answered = new CountDownLatch(requests);
        AtomicInteger failures = new AtomicInteger();
        reloader.request(reason -> answered.countDown());
        assertThat(firstLoadStarted.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 1; i < requests; i++) {
            reloader.request(reason -> {
                if (reason != null) {
                    failures.incrementAndGet();
                }
                answered.countDown();
            });
        }
        release.countDown();
        assertThat(answered.await(10, TimeUnit.SECONDS)).isTrue();
        // The first load, then one for everything asked while it ran.
        assertThat(loads).hasValue(2);
        assertThat(applied).hasValue(2);
        assertThat(failures).hasValue(0);
        assertThat(threads).containsOnly("capbus-reload");
        reloader.shutdown();
    }

    @Test
    void shouldAnswerWithTheFailureAndKeepServing() throws Exception {
        AtomicInteger loads = new AtomicInteger();
        ConfigReloader<BusConfig> reloader = new ConfigReloader<>(() -> {
            if (loads.incrementAndGet() == 1) {
                throw new ConfigReloader.Failure("bad.conf:3: no such element");
            }
            return BusConfig.builtinSession();
        }, loop, c -> { });
        CopyOnWriteArrayList<String> reasons = new CopyOnWriteArrayList<>();
        CountDownLatch first = new CountDownLatch(1);
        reloader.request(reason -> {
            reasons.add(String.valueOf(reason));
            first.countDown();
        });
        assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        CountDownLatch second = new CountDownLatch(1);
        reloader.request(reason -> {
            reasons.add(String.valueOf(reason));
            second.countDown();
        });
        assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(reasons).containsExactly("bad.conf:3: no such element", "null");
        reloader.shutdown();
    }
}
