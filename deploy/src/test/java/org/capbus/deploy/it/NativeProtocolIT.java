package org.capbus.deploy.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.capbus.client.CapbusClient;
import org.capbus.client.CapbusException;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;
import org.capbus.client.NodeHandler;
import org.capbus.client.Status;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The native capability protocol with the Java client (capbus-client) against the real bus: native clients
 * talking to each other through nodes and handles, and unchanged D-Bus clients (gdbus) calling a native service.
 * dbus-daemon is the reference only for the refusal: it does not speak the protocol.
 */
class NativeProtocolIT {
    private static final TestBus.Shared BUSES = new TestBus.Shared();

    @AfterAll
    static void stopBuses() {
        BUSES.close();
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static <T> T take(LinkedBlockingQueue<T> q) throws InterruptedException {
        T t = q.poll(20, TimeUnit.SECONDS);
        assertThat(t).as("an event within the bound").isNotNull();
        return t;
    }

    /** A node handler that queues what it is told. */
    static final class Recorder implements NodeHandler {
        final LinkedBlockingQueue<Delivery> messages = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<String> notifications = new LinkedBlockingQueue<>();

        @Override
        public void onMessage(Node node, Delivery delivery) {
            messages.add(delivery);
        }

        @Override
        public void onReleased(Node node) {
            notifications.add("released");
        }

        @Override
        public void onDestroyed(Node node) {
            notifications.add("destroyed");
        }
    }

    @Test
    void shouldBeRefusedClearlyByABusWithoutTheProtocol() {
        if (!BusKind.selected().contains(BusKind.DBUS_DAEMON)) {
            return;
        }
        TestBus bus = BUSES.get(BusKind.DBUS_DAEMON);
        assertThatThrownBy(() -> CapbusClient.connect(bus.address()))
                .hasMessageContaining("does not speak capbus's native protocol");
    }

    @Test
    void shouldBeRefusedWhenTheConfigurationTurnsItOff() {
        String config = TestBus.configuration(false).replace("<auth>EXTERNAL</auth>",
                "<auth>EXTERNAL</auth>\n  <capbus_native enabled=\"false\"/>");
        try (TestBus bus = TestBus.startWithConfiguration(BusKind.CAPBUS, config)) {
            assertThatThrownBy(() -> CapbusClient.connect(bus.address()))
                    .hasMessageContaining("does not speak capbus's native protocol");
            // D-Bus clients are served as ever.
            Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                    "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetId");
        }
    }

    @Test
    void shouldSendBetweenNativeClientsWithHandleTransferAndNodeReleased() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (CapbusClient service = CapbusClient.connect(bus.address());
             CapbusClient client = CapbusClient.connect(bus.address())) {
            assertThat(service.uniqueName()).startsWith(":1.");
            Recorder serviceNode = new Recorder();
            Node node = await(service.createNode(serviceNode));
            assertThat(await(service.registerName("org.capbus.test.NativeA", node, 0x4))).isEqualTo(1);

            Recorder clientNode = new Recorder();
            Node back = await(client.createNode(clientNode));
            Handle toService = await(client.resolve("org.capbus.test.NativeA"));
            await(client.send(toService, "hello".getBytes(StandardCharsets.UTF_8), back.handle()));

            Delivery d = take(serviceNode.messages);
            assertThat(new String(d.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(d.isDBus()).isFalse();
            assertThat(d.handles()).hasSize(1);
            Handle toClient = d.handles().get(0);
            await(service.send(toClient, "world".getBytes(StandardCharsets.UTF_8)));
            Delivery answer = take(clientNode.messages);
            assertThat(new String(answer.payload(), StandardCharsets.UTF_8)).isEqualTo("world");
            assertThat(answer.sequence()).isGreaterThan(d.sequence());

            // The service lets go of the only foreign handle: the owner hears NodeReleased.
            await(service.release(toClient));
            assertThat(take(clientNode.notifications)).isEqualTo("released");
            // Released twice: the service holds no reference any more, and nothing changed.
            assertThatThrownBy(() -> await(service.release(toClient)))
                    .isInstanceOf(CapbusException.class)
                    .satisfies(e -> assertThat(((CapbusException) e).status()).isEqualTo(Status.INVALID_HANDLE));

            // The service destroys its node: the holder hears NodeDestroyed, later sends fail with DESTROYED.
            LinkedBlockingQueue<Handle> destroyed = new LinkedBlockingQueue<>();
            client.onHandleDestroyed(destroyed::add);
            await(service.destroy(node));
            assertThat(take(destroyed)).isEqualTo(toService);
            assertThatThrownBy(() -> await(client.send(toService, new byte[1])))
                    .satisfies(e -> assertThat(((CapbusException) e).status()).isEqualTo(Status.DESTROYED));
        }
    }

    @Test
    void shouldPostAndReleaseQuietlyWithOnlyRefusalsAnswered() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (CapbusClient service = CapbusClient.connect(bus.address());
             CapbusClient client = CapbusClient.connect(bus.address())) {
            Recorder serviceNode = new Recorder();
            Node node = await(service.createNode(serviceNode));
            await(service.registerName("org.capbus.test.NativeQuiet", node, 0x4));
            LinkedBlockingQueue<CapbusException> refused = new LinkedBlockingQueue<>();
            client.onPostFailure(refused::add);
            service.onPostFailure(refused::add);
            Recorder tokenNode = new Recorder();
            Node token = await(client.createNode(tokenNode));
            Handle toService = await(client.resolve("org.capbus.test.NativeQuiet"));

            client.post(toService, "one".getBytes(StandardCharsets.UTF_8), token.handle());
            Delivery d = take(serviceNode.messages);
            assertThat(new String(d.payload(), StandardCharsets.UTF_8)).isEqualTo("one");
            service.releaseQuietly(d.handles().get(0));
            assertThat(take(tokenNode.notifications)).isEqualTo("released");

            // Refusals come back with the request id of what was refused.
            await(service.destroy(node));
            long refusedPost = client.post(toService, "two".getBytes(StandardCharsets.UTF_8));
            CapbusException e = refused.poll(Await.BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).isNotNull();
            assertThat(e.requestId()).isEqualTo(refusedPost);
            assertThat(e.status()).isEqualTo(Status.DESTROYED);
            client.releaseQuietly(toService);
            long refusedRelease = client.releaseQuietly(toService);
            e = refused.poll(Await.BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(e).isNotNull();
            assertThat(e.requestId()).isEqualTo(refusedRelease);
            assertThat(e.status()).isEqualTo(Status.INVALID_HANDLE);
            // Requests are answered in order: once a later one is, every quiet success has gone unanswered.
            await(client.createNode(new Recorder()));
            await(service.createNode(new Recorder()));
            assertThat(refused).isEmpty();
            assertThat(serviceNode.messages).isEmpty();
        }
    }

    @Test
    void shouldAnswerAGdbusCallFromANativeService() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (CapbusClient service = CapbusClient.connect(bus.address())) {
            Node node = await(service.createNode((n, d) -> {
                if (!d.isDBus() || d.replyHandle() == null) {
                    return;
                }
                String member = d.dbusMessage().getName();
                try {
                    if (member.equals("Echo")) {
                        service.replyDBus(d, "s", d.dbusMessage().getParameters()[0]);
                    } else if (member.equals("Fail")) {
                        service.replyDBusError(d, "org.capbus.test.Error.Refused", "refused on purpose");
                    } else {
                        service.release(d.replyHandle());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
            assertThat(await(service.registerName("org.capbus.test.NativeEcho", node, 0))).isEqualTo(1);

            ClientResult echo = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.capbus.test.NativeEcho",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.Echo", "hello native");
            assertThat(echo.stdout().trim()).isEqualTo("('hello native',)");

            ClientResult fail = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.capbus.test.NativeEcho",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.Fail");
            assertThat(fail.exitCode()).isNotZero();
            assertThat(fail.stderr()).contains("org.capbus.test.Error.Refused").contains("refused on purpose");

            ClientResult dropped = Clients.run(bus, "gdbus", "call", "--session", "--dest",
                    "org.capbus.test.NativeEcho", "--object-path", "/org/capbus/Test", "--method",
                    "org.capbus.Test.Drop");
            assertThat(dropped.exitCode()).isNotZero();
            assertThat(dropped.stderr()).contains("org.freedesktop.DBus.Error.NoReply");

            // To D-Bus clients the native connection is an ordinary owner.
            ClientResult owner = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetNameOwner",
                    "org.capbus.test.NativeEcho");
            assertThat(owner.stdout()).contains(service.uniqueName());
            ClientResult names = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus",
                    "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames");
            assertThat(names.stdout()).contains("'" + service.uniqueName() + "'").contains("'org.capbus.test.NativeEcho'");
        }
    }

    @Test
    void shouldServeGdbusFromTheIndependentPythonClientWrittenFromTheSpecification() {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (Clients.Background service = Clients.start(bus, Clients.PYTHON, Clients.resource("native_client.py"),
                "serve", "org.capbus.test.PyNative")) {
            service.awaitStdout("READY");
            ClientResult echo = Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.capbus.test.PyNative",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.Echo", "from gdbus");
            assertThat(echo.stdout().trim()).isEqualTo("('from gdbus',)");
            ClientResult busctl = Clients.runOk(bus, "busctl", "--user", "call", "org.capbus.test.PyNative",
                    "/org/capbus/Test", "org.capbus.Test", "Echo", "s", "from busctl");
            assertThat(busctl.stdout().trim()).isEqualTo("s \"from busctl\"");
            ClientResult dbusSend = Clients.runOk(bus, "dbus-send", "--session", "--print-reply",
                    "--dest=org.capbus.test.PyNative", "/org/capbus/Test", "org.capbus.Test.Echo", "string:from dbus-send");
            assertThat(dbusSend.stdout()).contains("string \"from dbus-send\"");
            ClientResult unknown = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.capbus.test.PyNative",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.Nope");
            assertThat(unknown.stderr()).contains("org.capbus.test.Error.Unknown");
            ClientResult dropped = Clients.run(bus, "gdbus", "call", "--session", "--dest", "org.capbus.test.PyNative",
                    "--object-path", "/org/capbus/Test", "--method", "org.capbus.Test.Drop");
            assertThat(dropped.stderr()).contains("org.freedesktop.DBus.Error.NoReply");
        }
    }

    @Test
    void shouldDeliverADescriptorFromAPythonDbusCallerToANativeService() {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (Clients.Background service = Clients.start(bus, Clients.PYTHON, Clients.resource("native_client.py"),
                "serve", "org.capbus.test.PyNativeFd")) {
            service.awaitStdout("READY");
            String script = String.join("\n",
                    "import dbus, os, tempfile",
                    "b = dbus.SessionBus()",
                    "f = tempfile.TemporaryFile()",
                    "f.write(b'contents of the file'); f.flush(); f.seek(0)",
                    "o = b.get_object('org.capbus.test.PyNativeFd', '/org/capbus/Test')",
                    "print(o.ReadFd(dbus.types.UnixFd(f), dbus_interface='org.capbus.Test'))");
            ClientResult r = Clients.runOk(bus, Clients.PYTHON, "-c", script);
            assertThat(r.stdout().trim()).isEqualTo("contents of the file");
        }
    }

    @Test
    void shouldAnswerEveryFailureWithItsDocumentedStatusAndCloseOnlyTheBadConnection() {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        ClientResult probe = Clients.run(bus, Clients.PYTHON, Clients.resource("native_client.py"), "probe");
        assertThat(probe.exitCode()).as(probe.describe()).isZero();
        assertThat(probe.stdout()).contains("OK ids never reused").contains("OK a bad frame closed its connection")
                .contains("OK quiet requests are answered only when refused").contains("DONE");
        // The bus still serves everyone else.
        Clients.runOk(bus, "gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
                "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetId");
    }

    @Test
    void shouldCallAPythonDbusServiceAndReceiveItsSignals() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (Clients.Background python = Clients.pythonService(bus, "org.capbus.test.PyForNative");
             CapbusClient client = CapbusClient.connect(bus.address())) {
            Object[] echoed = await(client.callDBus("org.capbus.test.PyForNative", "/org/capbus/Test",
                    "org.capbus.Test", "EchoString", "s", "from a native client"));
            assertThat(echoed).containsExactly("from a native client");
            Object[] sum = await(client.callDBus("org.capbus.test.PyForNative", "/org/capbus/Test",
                    "org.capbus.Test", "Add", "ii", 2, 40));
            assertThat(sum).containsExactly(42);
            // The service sees the native connection's unique name as the caller.
            assertThat(await(client.callDBus("org.capbus.test.PyForNative", "/org/capbus/Test", "org.capbus.Test",
                    "WhoAmI", ""))).containsExactly(client.uniqueName());
            assertThatThrownBy(() -> await(client.callDBus("org.capbus.test.NobodyOwnsThis", "/", "a.b", "C", "")))
                    .isInstanceOf(CapbusException.class)
                    .satisfies(e -> assertThat(((CapbusException) e).dbusError())
                            .isEqualTo("org.freedesktop.DBus.Error.ServiceUnknown"));

            LinkedBlockingQueue<org.freedesktop.dbus.messages.Message> signals = new LinkedBlockingQueue<>();
            client.onSignal(signals::add);
            await(client.addMatch("type='signal',interface='org.capbus.Test',member='Changed'"));
            await(client.callDBus("org.capbus.test.PyForNative", "/org/capbus/Test", "org.capbus.Test",
                    "EmitChanged", "s", "new value"));
            org.freedesktop.dbus.messages.Message changed = take(signals);
            assertThat(changed.getName()).isEqualTo("Changed");
            assertThat(changed.getParameters()).containsExactly("new value");

            // A handle resolved from a D-Bus owner's name: NodeDestroyed when that owner leaves.
            Handle toPython = await(client.resolve("org.capbus.test.PyForNative"));
            LinkedBlockingQueue<Handle> destroyed = new LinkedBlockingQueue<>();
            client.onHandleDestroyed(destroyed::add);
            assertThatThrownBy(() -> await(client.send(toPython, new byte[] {1})))
                    .satisfies(e -> assertThat(((CapbusException) e).status()).isEqualTo(Status.NOT_NATIVE));
            python.close();
            assertThat(take(destroyed)).isEqualTo(toPython);
        }
    }

    @Test
    void shouldShowNativeSignalsToDbusMonitorsAndMatchRules() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (CapbusClient emitter = CapbusClient.connect(bus.address());
             Clients.Background monitor = Clients.start(bus, "dbus-monitor", "--session",
                     "type='signal',interface='org.capbus.NativeSignals'")) {
            Await.until(() -> monitor.stdout().contains("NameAcquired") || monitor.stdout().contains("member="),
                    () -> "dbus-monitor did not start: " + monitor.stdout());
            await(emitter.emitSignal("/org/capbus/Native", "org.capbus.NativeSignals", "Ping", "s", "ping payload"));
            Await.until(() -> monitor.stdout().contains("string \"ping payload\""),
                    () -> "the monitor saw: " + monitor.stdout());
            assertThat(monitor.stdout()).contains("sender=" + emitter.uniqueName());
        }
    }

    @Test
    void shouldQueueNativeAndDbusOwnersOfOneName() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        try (CapbusClient first = CapbusClient.connect(bus.address())) {
            Node node = await(first.createNode((n, d) -> { }));
            assertThat(await(first.registerName("org.capbus.test.Shared", node, 0))).isEqualTo(1);
            try (Clients.Background python = Clients.start(bus, Clients.PYTHON, "-c", String.join("\n",
                    "import dbus, sys, time",
                    "b = dbus.SessionBus()",
                    "print('REQUEST', b.request_name('org.capbus.test.Shared', 0), flush=True)",
                    "while b.get_name_owner('org.capbus.test.Shared') != b.get_unique_name(): time.sleep(0.05)",
                    "print('OWNER', flush=True)",
                    "time.sleep(30)"))) {
                python.awaitStdout("REQUEST 2");
                ClientResult queued = Clients.runOk(bus, "gdbus", "call", "--session", "--dest",
                        "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method",
                        "org.freedesktop.DBus.ListQueuedOwners", "org.capbus.test.Shared");
                assertThat(queued.stdout()).startsWith("(['" + first.uniqueName() + "', ':1.");
                assertThat(await(first.releaseName("org.capbus.test.Shared"))).isEqualTo(1);
                python.awaitStdout("OWNER");
            }
        }
    }

    /** Opens {@code path} read-only with libc's open(2): a descriptor number to pass (the test runs on JDK 25). */
    @SuppressWarnings("restricted")
    static int openForPassing(java.nio.file.Path path) throws Throwable {
        var linker = java.lang.foreign.Linker.nativeLinker();
        var open = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT,
                        java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_INT));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom(path.toString()), 0);
            assertThat(fd).isNotNegative();
            return fd;
        }
    }

    @Test
    void shouldPassDescriptorsThroughTheJavaClientOnJava22AndLater() throws Throwable {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("capbus-native-fd", ".txt");
        try (CapbusClient service = CapbusClient.connect(bus.address());
             CapbusClient client = CapbusClient.connect(bus.address());
             Clients.Background pyNative = Clients.start(bus, Clients.PYTHON, Clients.resource("native_client.py"),
                     "serve", "org.capbus.test.PyNativeFdFromJava")) {
            assertThat(client.passesFds()).isTrue();
            java.nio.file.Files.writeString(file, "passed natively");
            // Native to native: the receiver reads the file through the descriptor it was given.
            LinkedBlockingQueue<String> read = new LinkedBlockingQueue<>();
            Node node = await(service.createNode((n, d) -> {
                int fd = d.fds()[0];
                try {
                    read.add(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/fd/" + fd)));
                } catch (java.io.IOException e) {
                    read.add(e.toString());
                }
                service.closeFd(fd);
            }));
            await(service.registerName("org.capbus.test.JavaFd", node, 0));
            Handle h = await(client.resolve("org.capbus.test.JavaFd"));
            int fd = openForPassing(file);
            await(client.send(h, new byte[] {1}, new int[] {fd}));
            assertThat(take(read)).isEqualTo("passed natively");

            // A D-Bus call with a descriptor from the Java client to the Python native service.
            pyNative.awaitStdout("READY");
            Object[] r = await(client.callDBus("org.capbus.test.PyNativeFdFromJava", "/org/capbus/Test",
                    "org.capbus.Test", "ReadFd", "h", new org.freedesktop.dbus.FileDescriptor(fd)));
            assertThat(r).containsExactly("passed natively");
            client.closeFd(fd);
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void shouldCloseTheDescriptorsOfMessagesNoOneReceived() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        java.nio.file.Path fdDir = java.nio.file.Path.of("/proc/" + bus.pid() + "/fd");
        // A receiver that never reads gets many messages with a descriptor each, then goes away: every descriptor
        // the bus held for it (queued in the core or in its socket buffer) is closed.
        String script = String.join("\n",
                "import os, sys, tempfile",
                "sys.path.insert(0, os.path.dirname(sys.argv[1]))",
                "import native_client as n",
                "receiver = n.NativeConnection()",
                "node = receiver.request(n.CREATE_NODE).targets[0]",
                "assert receiver.request(n.REGISTER_NAME, 4, [node], payload=b'org.capbus.test.Sink').status() == 'OK'",
                "sender = n.NativeConnection()",
                "h = sender.request(n.RESOLVE_NAME, payload=b'org.capbus.test.Sink').targets[0]",
                "f = tempfile.TemporaryFile()",
                "for i in range(200):",
                "    assert sender.request(n.SEND, 0, [h], payload=b'x' * 4096, fds=[f.fileno()]).status() == 'OK'",
                "print('SENT', flush=True)",
                "sys.stdin.readline()",
                "receiver.sock.close()",
                "print('CLOSED', flush=True)",
                "sys.stdin.readline()");
        long before;
        try (var files = java.nio.file.Files.list(fdDir)) {
            before = files.count();
        }
        ProcessBuilder pb = new ProcessBuilder(Clients.PYTHON, "-c", script, Clients.resource("native_client.py"));
        pb.environment().putAll(bus.clientEnvironment());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
             var in = p.getOutputStream()) {
            assertThat(out.readLine()).isEqualTo("SENT");
            long during;
            try (var files = java.nio.file.Files.list(fdDir)) {
                during = files.count();
            }
            assertThat(during).as("the bus holds the undelivered descriptors").isGreaterThan(before + 100);
            in.write('\n');
            in.flush();
            assertThat(out.readLine()).isEqualTo("CLOSED");
            Await.until(() -> {
                try (var files = java.nio.file.Files.list(fdDir)) {
                    // The sender is still connected: one socket more than before.
                    return files.count() <= before + 1;
                } catch (java.io.IOException e) {
                    return false;
                }
            }, () -> "the bus still holds descriptors of messages no one received");
            in.write('\n');
            in.flush();
        } finally {
            p.waitFor(20, TimeUnit.SECONDS);
            p.destroy();
        }
    }

    @Test
    void shouldBeIntrospectableAndListedLikeAnyDbusService() throws Exception {
        TestBus bus = BUSES.get(BusKind.CAPBUS);
        String xml = "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
                + " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n"
                + "<node><interface name=\"org.capbus.Test\"><method name=\"Echo\"><arg type=\"s\" direction=\"in\"/>"
                + "<arg type=\"s\" direction=\"out\"/></method><property name=\"Version\" type=\"s\" access=\"read\"/>"
                + "</interface></node>";
        try (CapbusClient service = CapbusClient.connect(bus.address())) {
            // The service answers Introspect and Properties.Get itself, like any other call.
            Node node = await(service.createNode((n, d) -> {
                if (!d.isDBus() || d.replyHandle() == null) {
                    return;
                }
                var call = d.dbusMessage();
                if ("Introspect".equals(call.getName())) {
                    service.replyDBus(d, "s", xml);
                } else if ("Get".equals(call.getName())) {
                    service.replyDBus(d, "v", new org.freedesktop.dbus.types.Variant<>("1.0"));
                } else if ("GetAll".equals(call.getName())) {
                    service.replyDBus(d, "a{sv}", java.util.Map.of("Version",
                            new org.freedesktop.dbus.types.Variant<>("1.0")));
                } else {
                    service.replyDBusError(d, "org.freedesktop.DBus.Error.UnknownMethod", call.getName());
                }
            }));
            await(service.registerName("org.capbus.test.Introspected", node, 0));
            ClientResult introspect = Clients.runOk(bus, "gdbus", "introspect", "--session", "--dest",
                    "org.capbus.test.Introspected", "--object-path", "/org/capbus/Test");
            assertThat(introspect.stdout()).contains("interface org.capbus.Test").contains("Echo(");
            ClientResult busctlIntrospect = Clients.runOk(bus, "busctl", "--user", "introspect",
                    "org.capbus.test.Introspected", "/org/capbus/Test");
            assertThat(busctlIntrospect.stdout()).contains(".Echo").contains(".Version");
            ClientResult property = Clients.runOk(bus, "busctl", "--user", "get-property",
                    "org.capbus.test.Introspected", "/org/capbus/Test", "org.capbus.Test", "Version");
            assertThat(property.stdout().trim()).isEqualTo("s \"1.0\"");

            ClientResult credentials = Clients.runOk(bus, "gdbus", "call", "--session", "--dest",
                    "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method",
                    "org.freedesktop.DBus.GetConnectionCredentials", service.uniqueName());
            assertThat(credentials.stdout()).contains("'UnixUserID': <uint32 " + new com.sun.security.auth.module
                    .UnixSystem().getUid() + ">").contains("'ProcessID'");
            ClientResult list = Clients.runOk(bus, "busctl", "--user", "list", "--no-pager");
            assertThat(list.stdout()).contains("org.capbus.test.Introspected").contains(service.uniqueName());
        }
    }

    static List<Handle> handles(Handle... h) {
        return List.of(h);
    }
}
