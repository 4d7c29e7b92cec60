package org.capbus.dbus.bus;

import java.util.Arrays;

/** A message for match tests: header fields and leading string/object-path arguments. */
final class TestMessage implements MatchableMessage {
    int type = SIGNAL;
    String sender;
    String interfaceName;
    String member;
    String path;
    String destination;
    /** Argument values; null means the argument is absent or of a non-string type. */
    String[] args = new String[0];
    boolean[] objectPath = new boolean[0];

    static TestMessage signal(String sender, String path, String interfaceName, String member) {
        TestMessage m = new TestMessage();
        m.sender = sender;
        m.path = path;
        m.interfaceName = interfaceName;
        m.member = member;
        return m;
    }

    TestMessage type(int type) {
        this.type = type;
        return this;
    }

    TestMessage to(String destination) {
        this.destination = destination;
        return this;
    }

    TestMessage arg(int n, String value) {
        return setArg(n, value, false);
    }

    TestMessage pathArg(int n, String value) {
        return setArg(n, value, true);
    }

    private TestMessage setArg(int n, String value, boolean isPath) {
        if (n >= args.length) {
            args = Arrays.copyOf(args, n + 1);
            objectPath = Arrays.copyOf(objectPath, n + 1);
        }
        args[n] = value;
        objectPath[n] = isPath;
        return this;
    }

    @Override
    public int type() {
        return type;
    }

    @Override
    public String sender() {
        return sender;
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    @Override
    public String member() {
        return member;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String destination() {
        return destination;
    }

    @Override
    public String stringArg(int n) {
        return n < args.length ? args[n] : null;
    }

    @Override
    public boolean isObjectPathArg(int n) {
        return n < args.length && args[n] != null && objectPath[n];
    }

    @Override
    public String toString() {
        return "type=" + type + " sender=" + sender + " if=" + interfaceName + " member=" + member + " path=" + path
                + " dest=" + destination + " args=" + Arrays.toString(args) + " paths=" + Arrays.toString(objectPath);
    }
}
