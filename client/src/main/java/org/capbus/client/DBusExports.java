package org.capbus.client;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.freedesktop.dbus.Marshalling;
import org.freedesktop.dbus.MethodTuple;
import org.freedesktop.dbus.annotations.DBusProperty.Access;
import org.freedesktop.dbus.errors.PropertyReadOnly;
import org.freedesktop.dbus.errors.UnknownMethod;
import org.freedesktop.dbus.errors.UnknownObject;
import org.freedesktop.dbus.errors.UnknownProperty;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.messages.ExportedObject;
import org.freedesktop.dbus.messages.MethodCall;
import org.freedesktop.dbus.messages.ObjectTree;
import org.freedesktop.dbus.propertyref.PropertyRef;
import org.freedesktop.dbus.types.Variant;
import org.freedesktop.dbus.utils.DBusNamingUtil;

/**
 * dbus-java objects exported on this connection's nodes ({@link CapbusClient#exportObject}): D-Bus method calls to
 * their object paths are answered as a dbus-java connection answers them, through dbus-java's own reflection and
 * marshalling (its {@link ExportedObject} method table and introspection data, {@link ObjectTree} for parent paths,
 * {@link Marshalling} for arguments and return values, its message factory for returns and errors): the object's
 * methods (a {@link DBusExecutionException} becomes an error named after its class, as dbus-java names it),
 * {@code Introspectable.Introspect}, {@code Properties} ({@code @DBusBoundProperty} getters and setters, and objects
 * implementing dbus-java's {@link Properties}), and {@code Peer}.
 *
 * <p>Methods run on the client's event thread, one call at a time, in the bus's order. Exports are added and removed
 * from any thread; calls are dispatched on the event thread.
 */
final class DBusExports {
    static final String INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";
    static final String PROPERTIES = "org.freedesktop.DBus.Properties";
    static final String PEER = "org.freedesktop.DBus.Peer";
    private static final String DOCTYPE =
            "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
            + "\"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";
    /** The package of dbus-java's classes for the specification's errors, and the specification's prefix. */
    private static final String DBUS_JAVA_ERRORS = "org.freedesktop.dbus.errors";
    private static final String SPEC_ERRORS = "org.freedesktop.DBus.Error.";
    private static final Pattern OBJECT_PATH = Pattern.compile("/|(/[A-Za-z0-9_]+)+");

    /** The exports of one node. */
    private static final class Tree {
        final ObjectTree introspection = new ObjectTree();
        final Map<String, ExportedObject> objects = new ConcurrentHashMap<>();
        /** A node made for exports alone ({@link CapbusClient#createNode()}): every call to it is answered here. */
        final boolean answersAll;

        Tree(boolean answersAll) {
            this.answersAll = answersAll;
        }
    }

    /** What {@link #dispatch} did with a message. */
    enum Outcome { ANSWERED, NOT_OURS }

    private final CapbusClient client;
    private final Map<Long, Tree> trees = new ConcurrentHashMap<>();

    DBusExports(CapbusClient client) {
        this.client = client;
    }

    /** Marks {@code node} as a node for exports alone: calls to paths with nothing exported get UnknownObject. */
    void exportsOnly(long node) {
        trees.putIfAbsent(node, new Tree(true));
    }

    synchronized void export(long node, String path, DBusInterface object) throws DBusException {
        if (path == null || !OBJECT_PATH.matcher(path).matches()) {
            throw new DBusException("not a D-Bus object path: " + path);
        }
        if (object == null) {
            throw new DBusException("no object to export at " + path);
        }
        ExportedObject eo = new ExportedObject(object, false);
        Tree tree = trees.computeIfAbsent(node, n -> new Tree(false));
        if (tree.objects.putIfAbsent(path, eo) != null) {
            throw new DBusException("an object is already exported at " + path);
        }
        tree.introspection.add(path, eo, eo.getIntrospectiondata());
    }

    synchronized void unexport(long node, String path) {
        Tree tree = trees.get(node);
        if (tree != null && tree.objects.remove(path) != null) {
            tree.introspection.remove(path);
        }
    }

    /** The node is gone: its exports with it. */
    void forget(long node) {
        trees.remove(node);
    }

    /** Answers {@code d} if it is a D-Bus method call to an export of {@code node}; event thread. */
    Outcome dispatch(long node, Delivery d) {
        Tree tree = trees.get(node);
        if (tree == null || !d.isDBus() || !(d.dbusMessage() instanceof MethodCall call)) {
            return Outcome.NOT_OURS;
        }
        String path = call.getPath();
        String iface = call.getInterface();
        String member = call.getName();
        String sig = call.getSig() == null ? "" : call.getSig();
        ExportedObject eo = tree.objects.get(path);
        try {
            // A call without an interface is the object's own method if it has one by that name and signature.
            boolean standard = iface == null
                    && (eo == null || !eo.getMethods().containsKey(new MethodTuple(member, sig)));
            if (INTROSPECTABLE.equals(iface) || standard && "Introspect".equals(member)) {
                String xml = "Introspect".equals(member) && sig.isEmpty() ? tree.introspection.Introspect(path) : null;
                if (xml != null) {
                    reply(d, call, "s", DOCTYPE + xml);
                    return Outcome.ANSWERED;
                }
            } else if (PEER.equals(iface) || standard) {
                if ("Ping".equals(member) && sig.isEmpty()) {
                    reply(d, call, null);
                    return Outcome.ANSWERED;
                }
                if ("GetMachineId".equals(member) && sig.isEmpty()) {
                    reply(d, call, "s", machineId());
                    return Outcome.ANSWERED;
                }
            }
            if (eo == null) {
                if (!tree.answersAll) {
                    return Outcome.NOT_OURS;
                }
                throw new UnknownObject(path + " is not an object provided by this process.");
            }
            if (PROPERTIES.equals(iface) && properties(d, call, eo, member, sig)) {
                return Outcome.ANSWERED;
            }
            Method method = eo.getMethods().get(new MethodTuple(member, sig));
            if (method == null || ExportedObject.isExcluded(method)) {
                throw new UnknownMethod(String.format("The method `%s.%s' does not exist on this object.", iface,
                        member));
            }
            Object[] args = Marshalling.deSerializeParameters(parameters(call), method.getGenericParameterTypes(),
                    null);
            Object result = invoke(method, eo.getObject().get(), args);
            if (method.getDeclaringClass() == Properties.class && "Get".equals(member) && result == null) {
                throw new UnknownProperty("Property " + args[1] + " does not exist on " + args[0]);
            }
            replyResult(d, call, method.getGenericReturnType(), method.getReturnType() == Void.TYPE, result);
        } catch (DBusExecutionException e) {
            error(d, call, e);
        } catch (Exception e) {
            error(d, call, new DBusExecutionException(String.format("Error Executing Method %s.%s: %s", iface, member,
                    e.getMessage()), e));
        }
        return Outcome.ANSWERED;
    }

    /**
     * {@code org.freedesktop.DBus.Properties} on an object's {@code @DBusBoundProperty} methods, as dbus-java's own
     * connection answers it; false when the object's own {@link Properties} implementation is to answer.
     */
    private boolean properties(Delivery d, MethodCall call, ExportedObject eo, String member, String sig)
            throws Exception {
        Object object = eo.getObject().get();
        boolean implementsProperties = object instanceof Properties;
        Object[] p = parameters(call);
        switch (member + "(" + sig + ")") {
            case "Get(ss)" -> {
                Method getter = eo.getPropertyMethods().get(new PropertyRef((String) p[1], null, Access.READ));
                if (getter == null) {
                    if (implementsProperties) {
                        return false;
                    }
                    throw new UnknownProperty("Property " + p[1] + " does not exist on " + p[0]);
                }
                Object value = invoke(getter, object, new Object[0]);
                reply(d, call, "v", new Variant<>(value, getter.getGenericReturnType()));
                return true;
            }
            case "Set(ssv)" -> {
                Method setter = eo.getPropertyMethods().get(new PropertyRef((String) p[1], null, Access.WRITE));
                if (setter == null) {
                    if (implementsProperties) {
                        return false;
                    }
                    if (eo.getPropertyMethods().containsKey(new PropertyRef((String) p[1], null, Access.READ))) {
                        throw new PropertyReadOnly("Property " + p[1] + " of " + p[0] + " is read-only");
                    }
                    throw new UnknownProperty("Property " + p[1] + " does not exist on " + p[0]);
                }
                Object value = p[2] instanceof Variant<?> v ? v.getValue() : p[2];
                Class<?> type = PropertyRef.typeForMethod(setter);
                // D-Bus has arrays only: a setter taking a collection gets one (as dbus-java converts it).
                if (value != null && value.getClass().isArray() && Collection.class.isAssignableFrom(type)) {
                    Object[] items = toObjects(value);
                    value = Set.class.isAssignableFrom(type) ? new LinkedHashSet<>(Arrays.asList(items))
                            : new ArrayList<>(Arrays.asList(items));
                }
                Object[] args = Marshalling.deSerializeParameters(new Object[] {value},
                        setter.getGenericParameterTypes(), null);
                invoke(setter, object, args);
                reply(d, call, null);
                return true;
            }
            case "GetAll(s)" -> {
                Map<String, Variant<?>> all = new LinkedHashMap<>();
                for (Map.Entry<PropertyRef, Method> e : eo.getPropertyMethods().entrySet()) {
                    Method getter = e.getValue();
                    if (e.getKey().getAccess() == Access.READ
                            && (p[0] == null || ((String) p[0]).isEmpty()
                                || p[0].equals(DBusNamingUtil.getInterfaceName(getter.getDeclaringClass())))) {
                        Object value = invoke(getter, object, new Object[0]);
                        all.put(e.getKey().getName(), new Variant<>(value, getter.getGenericReturnType()));
                    }
                }
                if (implementsProperties) {
                    Map<String, Variant<?>> own = ((Properties) object).GetAll((String) p[0]);
                    if (own != null) {
                        all.putAll(own);
                    }
                }
                if (all.isEmpty() && !implementsProperties && eo.getPropertyMethods().isEmpty()) {
                    return false;
                }
                reply(d, call, "a{sv}", all);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static Object[] toObjects(Object array) {
        int n = java.lang.reflect.Array.getLength(array);
        Object[] out = new Object[n];
        for (int i = 0; i < n; i++) {
            out[i] = java.lang.reflect.Array.get(array, i);
        }
        return out;
    }

    private static Object[] parameters(MethodCall call) throws DBusException {
        Object[] p = call.getParameters();
        return p == null ? new Object[0] : p;
    }

    private static Object invoke(Method method, Object object, Object[] args) throws Exception {
        if (object == null) {
            throw new UnknownObject("the exported object is gone");
        }
        try {
            return method.invoke(object, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private void replyResult(Delivery d, MethodCall call, Type type, boolean isVoid, Object result)
            throws DBusException {
        if (isVoid) {
            reply(d, call, null);
            return;
        }
        String sig = String.join("", Marshalling.getDBusType(type));
        Object[] converted = Marshalling.convertParameters(new Object[] {result}, new Type[] {type}, null);
        reply(d, call, sig, converted);
    }

    private void reply(Delivery d, MethodCall call, String signature, Object... args) throws DBusException {
        if (d.replyHandle() != null) {
            client.sendReply(d, DBusMessages.FACTORY.createMethodReturn(call, signature, args));
        }
    }

    private void error(Delivery d, MethodCall call, DBusExecutionException e) {
        if (d.replyHandle() == null) {
            return;
        }
        try {
            client.sendReply(d, DBusMessages.FACTORY.createError(null, call.getSource(), errorName(e), call.getSerial(),
                    "s", String.valueOf(e.getMessage())));
        } catch (DBusException failed) {
            client.replyDBusError(d, "org.freedesktop.DBus.Error.Failed", String.valueOf(e.getMessage()));
        }
    }

    /**
     * The D-Bus error name of {@code e}: dbus-java's (the class name, '$' as '.'), except for dbus-java's classes of
     * the specification's errors ({@code org.freedesktop.dbus.errors.UnknownMethod} and the like), which go out under
     * the specification's names ({@code org.freedesktop.DBus.Error.UnknownMethod}), as dbus-java reads them back.
     */
    static String errorName(DBusExecutionException e) {
        Class<?> c = e.getClass();
        if (DBUS_JAVA_ERRORS.equals(c.getPackageName())) {
            return SPEC_ERRORS + c.getSimpleName();
        }
        return c.getName().replace('$', '.');
    }

    private static String machineId() throws IOException {
        for (String f : new String[] {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
            Path p = Path.of(f);
            if (Files.isReadable(p)) {
                return Files.readString(p, StandardCharsets.US_ASCII).trim();
            }
        }
        throw new DBusExecutionException("no machine id on this system");
    }
}
