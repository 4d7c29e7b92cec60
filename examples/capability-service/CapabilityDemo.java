import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.capbus.client.CapbusClient;
import org.capbus.client.Delivery;
import org.capbus.client.Handle;
import org.capbus.client.Node;
import org.capbus.client.NodeHandler;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.interfaces.DBusInterface;

/**
 * capbus native protocol example (see docs/migrating.md): a counter service.
 *
 * <ul>
 *   <li>To D-Bus clients it is an ordinary service, {@code org.capbus.example.Counter}: its D-Bus face is a
 *       dbus-java interface exported on its node ({@link CapbusClient#exportObject}), so {@code gdbus call ... Ping},
 *       {@code busctl call ... Ping} and {@code gdbus introspect}/{@code busctl introspect} work unchanged.</li>
 *   <li>To native clients it hands out capabilities: a message "open" to its node gets back a handle to a new
 *       per-client node (a counter of its own). The holder can pass that handle to anyone; whoever holds it can
 *       "add" to that counter. When the last holder lets go, the service hears NodeReleased and closes the
 *       counter: no session bookkeeping, no disconnect tracking.</li>
 * </ul>
 *
 * Usage: {@code java CapabilityDemo.java service} | {@code java CapabilityDemo.java client}; the bus address comes from
 * DBUS_SESSION_BUS_ADDRESS. Runs on Java 17 and later. Handlers run on the client's event thread.
 */
public class CapabilityDemo {

    /** The service's D-Bus interface, as it was written for dbus-java. */
    @DBusInterfaceName("org.capbus.example.Counter")
    public interface CounterService extends DBusInterface {
        String Ping();
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("service")) {
            service();
        } else if (args.length == 1 && args[0].equals("client")) {
            client();
        } else {
            System.err.println("usage: CapabilityDemo service|client");
            System.exit(2);
        }
    }

    static void service() throws Exception {
        CapbusClient bus = CapbusClient.connect();
        AtomicInteger sessions = new AtomicInteger();
        Node service = bus.createNode(new NodeHandler() {
            @Override
            public void onMessage(Node node, Delivery d) {
                if (d.isDBus()) {
                    // A D-Bus call to a path with nothing exported (the exported object answers its own path).
                    if (d.replyHandle() != null) {
                        bus.replyDBusError(d, "org.freedesktop.DBus.Error.UnknownObject", "no object there");
                    }
                    return;
                }
                // A native client: "open" with a handle of its own to answer to.
                Handle replyTo = d.handles().isEmpty() ? null : d.handles().get(0);
                if (replyTo == null) {
                    return;
                }
                int id = sessions.incrementAndGet();
                AtomicInteger total = new AtomicInteger();
                bus.createNode(new NodeHandler() {
                    @Override
                    public void onMessage(Node counter, Delivery add) {
                        int now = total.addAndGet(Integer.parseInt(text(add.payload())));
                        System.out.println("counter " + id + " = " + now);
                    }

                    @Override
                    public void onReleased(Node counter) {
                        System.out.println("counter " + id + " released by every holder (total " + total.get()
                                + "): closing it");
                        bus.destroy(counter);
                    }
                }).thenCompose(counter -> bus.send(replyTo, bytes("counter " + id), counter.handle())
                        // The service keeps only its owner handle: the client now holds the capability.
                        .thenCompose(v -> bus.release(replyTo)));
            }
        }).get();
        bus.exportObject(service, "/org/capbus/example", new CounterService() {
            @Override
            public String Ping() {
                return "pong from " + bus.uniqueName();
            }

            @Override
            public String getObjectPath() {
                return "/org/capbus/example";
            }
        });
        int result = bus.registerName("org.capbus.example.Counter", service, 0x4).get();
        if (result != 1) {
            throw new IllegalStateException("org.capbus.example.Counter is taken (RequestName result " + result + ")");
        }
        System.out.println("READY " + bus.uniqueName());
        Thread.currentThread().join();
    }

    static void client() throws Exception {
        try (CapbusClient alice = CapbusClient.connect(); CapbusClient bob = CapbusClient.connect()) {
            // Alice opens a counter: she sends "open" with a handle to an inbox node of hers.
            CountDownLatch gotCounter = new CountDownLatch(1);
            Handle[] counter = new Handle[1];
            Node inbox = alice.createNode((node, d) -> {
                counter[0] = d.handles().get(0);
                System.out.println("alice got " + text(d.payload()) + " as " + counter[0]);
                gotCounter.countDown();
            }).get();
            Handle service = alice.resolve("org.capbus.example.Counter").get();
            alice.send(service, bytes("open"), inbox.handle()).get();
            gotCounter.await(10, TimeUnit.SECONDS);
            alice.send(counter[0], bytes("1")).get();

            // She passes the capability to Bob (a third party the service never heard of), on his root node.
            CountDownLatch gotShared = new CountDownLatch(1);
            Handle[] shared = new Handle[1];
            bob.onRootMessage(d -> {
                shared[0] = d.handles().get(0);
                System.out.println("bob got \"" + text(d.payload()) + "\" with " + shared[0]);
                gotShared.countDown();
            });
            Handle toBob = alice.resolve(bob.uniqueName()).get();
            alice.send(toBob, bytes("here, use my counter"), counter[0]).get();
            alice.release(toBob).get();
            gotShared.await(10, TimeUnit.SECONDS);
            bob.send(shared[0], bytes("41")).get();

            // Both let go: the service hears NodeReleased once the last one did.
            alice.release(counter[0]).get();
            System.out.println("alice released her handle");
            bob.release(shared[0]).get();
            System.out.println("bob released his handle");
            Thread.sleep(300);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
