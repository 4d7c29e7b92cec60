package org.capbus.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Reads one configuration file and its includes, the way dbus-daemon's {@code bus/config-parser.c}
 * does: the same elements, attributes, checks and error texts (so an administrator's file that
 * dbus-daemon refuses is refused here, with the same words), each error prefixed with file and line.
 *
 * <p>Each file is parsed into its own {@link Settings}, merged into the including file's on success,
 * as dbus-daemon does; that is what lets a broken file in an {@code <includedir>} be skipped cleanly.
 * One loader per load, on the calling thread.
 *
 * <p>An element's line is the line its start tag begins on.
 */
final class ConfigLoader {

    /** The elements, and whether they carry text content. */
    private enum Element {
        BUSCONFIG("busconfig", false), USER("user", true), TYPE("type", true), FORK("fork", false),
        SYSLOG("syslog", false), KEEP_UMASK("keep_umask", false), LISTEN("listen", true), AUTH("auth", true),
        POLICY("policy", false), LIMIT("limit", true), INCLUDE("include", true), INCLUDEDIR("includedir", true),
        SERVICEDIR("servicedir", true), SERVICEHELPER("servicehelper", true), PIDFILE("pidfile", true),
        STANDARD_SESSION_SERVICEDIRS("standard_session_servicedirs", false),
        STANDARD_SYSTEM_SERVICEDIRS("standard_system_servicedirs", false),
        ALLOW_ANONYMOUS("allow_anonymous", false), SELINUX("selinux", false), ASSOCIATE("associate", false),
        APPARMOR("apparmor", false), ALLOW("allow", false), DENY("deny", false),
        /** capbus only: {@code <metrics address="HOST:PORT"/>}. dbus-daemon would refuse the file. */
        METRICS("metrics", false),
        /** capbus only: {@code <capbus_native enabled="false"/>} turns the native capability protocol off. */
        CAPBUS_NATIVE("capbus_native", false);

        final String xmlName;
        final boolean hasContent;

        Element(String xmlName, boolean hasContent) {
            this.xmlName = xmlName;
            this.hasContent = hasContent;
        }

        static Element busconfigChild(String name) {
            for (Element e : values()) {
                if (e.xmlName.equals(name) && e != BUSCONFIG && e != ASSOCIATE && e != ALLOW && e != DENY) {
                    return e;
                }
            }
            return null;
        }
    }

    /** An open element. */
    private static final class Frame {
        final Element element;
        final int line;
        final StringBuilder text = new StringBuilder();
        final Map<String, String> attributes;

        Frame(Element element, int line, Map<String, String> attributes) {
            this.element = element;
            this.line = line;
            this.attributes = attributes;
        }
    }

    /** What one file (with its includes merged) sets; dbus-daemon's BusConfigParser fields. */
    private static final class Settings {
        String type;
        String user;
        boolean fork;
        boolean keepUmask;
        boolean syslog;
        boolean allowAnonymous;
        Path pidfile;
        Path servicehelper;
        final List<String> listen = new ArrayList<>();
        final List<String> auth = new ArrayList<>();
        final Map<Path, ServiceDir> serviceDirs = new LinkedHashMap<>();
        final List<Path> configDirs = new ArrayList<>();
        BusLimits limits;
        final List<PolicySection> sections = new ArrayList<>();
        final Map<String, String> selinux = new LinkedHashMap<>();
        String apparmorMode;
        MetricsAddress metrics;
        Boolean nativeProtocol;
        final List<ConfigProblem> warnings = new ArrayList<>();

        Settings(BusLimits limits) {
            this.limits = limits;
        }

        void addServiceDir(ServiceDir dir) {
            serviceDirs.putIfAbsent(dir.path(), dir);
        }

        /** dbus-daemon's merge_included: later single values win, lists append, flags accumulate. */
        void merge(Settings included) {
            if (included.type != null) {
                type = included.type;
            }
            if (included.user != null) {
                user = included.user;
            }
            fork |= included.fork;
            keepUmask |= included.keepUmask;
            syslog |= included.syslog;
            allowAnonymous |= included.allowAnonymous;
            if (included.pidfile != null) {
                pidfile = included.pidfile;
            }
            if (included.servicehelper != null) {
                servicehelper = included.servicehelper;
            }
            listen.addAll(included.listen);
            auth.addAll(included.auth);
            included.serviceDirs.values().forEach(this::addServiceDir);
            configDirs.addAll(included.configDirs);
            // The included file started from our limits, so its limits are ours plus its changes.
            limits = included.limits;
            sections.addAll(included.sections);
            selinux.putAll(included.selinux);
            if (included.apparmorMode != null) {
                apparmorMode = included.apparmorMode;
            }
            if (included.nativeProtocol != null) {
                nativeProtocol = included.nativeProtocol;
            }
            if (included.metrics != null) {
                metrics = included.metrics;
            }
            warnings.addAll(included.warnings);
        }
    }

    private static final XMLInputFactory XML = newFactory();

    private final ConfigEnvironment env;
    /** The files being read, outermost first, to refuse circular inclusion. */
    private final Set<Path> including = new HashSet<>();

    ConfigLoader(ConfigEnvironment env) {
        this.env = env;
    }

    private static XMLInputFactory newFactory() {
        // The JDK's own parser, without the service lookup newFactory() does (part of the start's critical path).
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        // The files name dbus's DTD by URL; never fetch it, and expand no external entities.
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        return f;
    }

    BusConfig loadTopLevel(Path file) throws ConfigException {
        Path path = file.toAbsolutePath().normalize();
        Settings s;
        try {
            s = parseFile(path, BusLimits.defaults());
        } catch (NoSuchFileException e) {
            throw new ConfigException(path, 0, "Failed to open \"" + path + "\": No such file or directory");
        }
        if (s.listen.isEmpty()) {
            throw new ConfigException(path, 0,
                    "Configuration file needs one or more <listen> elements giving addresses");
        }
        return new BusConfig(path, s.type, s.user, s.fork, s.keepUmask, s.syslog, s.allowAnonymous, s.pidfile,
                s.servicehelper, s.listen, s.auth, List.copyOf(s.serviceDirs.values()), s.configDirs, s.limits,
                new BusPolicy(s.sections), s.selinux, s.apparmorMode, s.warnings, s.metrics,
                s.nativeProtocol == null || s.nativeProtocol);
    }

    /**
     * Parses one file.
     *
     * @throws NoSuchFileException if the file does not exist (an include may ignore that)
     */
    private Settings parseFile(Path file, BusLimits inheritedLimits) throws ConfigException, NoSuchFileException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new ConfigException(file, 0, "Failed to open \"" + file + "\": " + describe(e), e);
        }
        including.add(file);
        try (InputStream in = new java.io.ByteArrayInputStream(bytes)) {
            return new FileParser(file, new Settings(inheritedLimits)).parse(in);
        } catch (IOException e) {
            throw new ConfigException(file, 0, "Failed to read \"" + file + "\": " + describe(e), e);
        } finally {
            including.remove(file);
        }
    }

    private static String describe(IOException e) {
        return e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "");
    }

    /** The state of parsing one file. */
    private final class FileParser {
        private final Path file;
        private final Path basedir;
        private final Settings settings;
        private final Deque<Frame> stack = new ArrayDeque<>();
        /** The policy element being read, or null; its rules. */
        private PolicySection openPolicy;
        private List<PolicyRule> openRules;

        FileParser(Path file, Settings settings) {
            this.file = file;
            this.basedir = file.getParent();
            this.settings = settings;
        }

        Settings parse(InputStream in) throws ConfigException {
            XMLStreamReader r = null;
            int line = 1;
            int previousEnd = 1;
            try {
                r = XML.createXMLStreamReader(file.toString(), in);
                while (r.hasNext()) {
                    int event = r.next();
                    // The parser reports where an event ends; an element's tag starts where the event
                    // before it (text, comment, another tag) ended. Whitespace before the root element
                    // is not reported, so the root takes the line where its tag ends.
                    line = lineOf(r.getLocation(), line);
                    int startLine = stack.isEmpty() ? line : previousEnd;
                    previousEnd = line;
                    switch (event) {
                        case XMLStreamConstants.START_ELEMENT -> startElement(r, startLine);
                        case XMLStreamConstants.END_ELEMENT -> endElement();
                        case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE ->
                                text(r.getText(), line);
                        case XMLStreamConstants.ENTITY_REFERENCE ->
                                throw error(line, "Unknown entity &" + r.getLocalName() + ";");
                        default -> { }
                    }
                }
            } catch (XMLStreamException e) {
                int at = e.getLocation() != null ? lineOf(e.getLocation(), line) : line;
                throw error(at, "Malformed XML: " + stripLocation(e.getMessage()));
            } finally {
                if (r != null) {
                    try {
                        r.close();
                    } catch (XMLStreamException ignored) {
                        // closing a reader over a byte array cannot fail in a way that matters
                    }
                }
            }
            if (!stack.isEmpty()) {
                throw error(line, "Element <" + stack.peek().element.xmlName
                        + "> was not closed in configuration file");
            }
            return settings;
        }

        private static int lineOf(Location location, int fallback) {
            return location != null && location.getLineNumber() > 0 ? location.getLineNumber() : fallback;
        }

        /** The JDK parser's message starts with "ParseError at [row,col]:[..]\nMessage: "; keep the message. */
        private static String stripLocation(String message) {
            if (message == null) {
                return "unknown error";
            }
            int i = message.indexOf("Message: ");
            return i >= 0 ? message.substring(i + "Message: ".length()).strip() : message.strip();
        }

        private ConfigException error(int line, String reason) {
            return new ConfigException(file, line, reason);
        }

        private void text(String text, int line) throws ConfigException {
            Frame top = stack.peek();
            if (top == null) {
                if (!text.isBlank()) {
                    throw error(line, "Text content outside of any XML element in configuration file");
                }
                return;
            }
            if (!top.element.hasContent && !text.isBlank()) {
                throw error(line, "No text content expected inside XML element " + top.element.xmlName
                        + " in configuration file");
            }
            top.text.append(text);
        }

        private void startElement(XMLStreamReader r, int line) throws ConfigException {
            String name = r.getLocalName();
            Map<String, String> attrs = new LinkedHashMap<>();
            for (int i = 0; i < r.getAttributeCount(); i++) {
                attrs.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
            }
            Frame parent = stack.peek();
            Element element;
            if (parent == null) {
                if (!name.equals("busconfig")) {
                    throw error(line, "Unknown element <" + name + "> at root of configuration file");
                }
                element = Element.BUSCONFIG;
            } else if (parent.element == Element.BUSCONFIG) {
                element = Element.busconfigChild(name);
                if (element == null) {
                    throw error(line, "Element <" + name + "> not allowed inside <busconfig> in configuration file");
                }
            } else if (parent.element == Element.POLICY) {
                element = switch (name) {
                    case "allow" -> Element.ALLOW;
                    case "deny" -> Element.DENY;
                    default -> throw error(line,
                            "Element <" + name + "> not allowed inside <policy> in configuration file");
                };
            } else if (parent.element == Element.SELINUX) {
                if (!name.equals("associate")) {
                    throw error(line, "Element <" + name + "> not allowed inside <selinux> in configuration file");
                }
                element = Element.ASSOCIATE;
            } else {
                throw error(line, "Element <" + name + "> is not allowed in this context");
            }
            Frame frame = new Frame(element, line, attrs);
            start(frame);
            stack.push(frame);
        }

        /** Checks attributes and does what must happen when the element opens. */
        private void start(Frame f) throws ConfigException {
            switch (f.element) {
                case FORK -> {
                    noAttributes(f);
                    settings.fork = true;
                }
                case SYSLOG -> {
                    noAttributes(f);
                    settings.syslog = true;
                }
                case KEEP_UMASK -> {
                    noAttributes(f);
                    settings.keepUmask = true;
                }
                case ALLOW_ANONYMOUS -> {
                    noAttributes(f);
                    settings.allowAnonymous = true;
                }
                case STANDARD_SESSION_SERVICEDIRS -> {
                    noAttributes(f);
                    env.standardSessionServiceDirs().forEach(settings::addServiceDir);
                }
                case STANDARD_SYSTEM_SERVICEDIRS -> {
                    noAttributes(f);
                    env.standardSystemServiceDirs().forEach(settings::addServiceDir);
                }
                case INCLUDE -> {
                    allowedAttributes(f, "ignore_missing", "if_selinux_enabled", "selinux_root_relative");
                    yesNo(f, "ignore_missing");
                    yesNo(f, "if_selinux_enabled");
                    yesNo(f, "selinux_root_relative");
                }
                case LIMIT -> {
                    allowedAttributes(f, "name");
                    if (f.attributes.get("name") == null) {
                        throw error(f.line, "<limit> element must have a \"name\" attribute");
                    }
                }
                case POLICY -> startPolicy(f);
                case ALLOW, DENY -> {
                    PolicyRule rule = PolicyRuleParser.parse(f.element == Element.ALLOW, f.element.xmlName,
                            f.attributes, file, f.line);
                    if (rule instanceof ConnectRule
                            && (openPolicy.context() == PolicyContext.USER
                            || openPolicy.context() == PolicyContext.GROUP)) {
                        String per = openPolicy.context() == PolicyContext.USER ? "per-user" : "per-group";
                        throw error(f.line, "<" + f.element.xmlName + "> rule cannot be " + per
                                + " because it has bus-global semantics");
                    }
                    openRules.add(rule);
                }
                case ASSOCIATE -> {
                    allowedAttributes(f, "own", "context");
                    String own = f.attributes.get("own");
                    String context = f.attributes.get("context");
                    if (own == null || context == null) {
                        throw error(f.line, "Element <associate> must have attributes own=\"<servicename>\""
                                + " and context=\"<selinux context>\"");
                    }
                    settings.selinux.put(own, context);
                }
                case APPARMOR -> {
                    allowedAttributes(f, "mode");
                    String mode = f.attributes.get("mode");
                    if (mode != null) {
                        if (!mode.equals("required") && !mode.equals("enabled") && !mode.equals("disabled")) {
                            throw error(f.line, "Mode attribute on <apparmor> must have value \"required\","
                                    + " \"enabled\" or \"disabled\", not \"" + mode + "\"");
                        }
                        settings.apparmorMode = mode;
                    }
                }
                case METRICS -> {
                    allowedAttributes(f, "address");
                    String address = f.attributes.get("address");
                    if (address == null) {
                        throw error(f.line, "<metrics> element must have an \"address\" attribute (HOST:PORT)");
                    }
                    try {
                        settings.metrics = MetricsAddress.parse(address);
                    } catch (IllegalArgumentException e) {
                        throw error(f.line, e.getMessage());
                    }
                }
                case CAPBUS_NATIVE -> {
                    allowedAttributes(f, "enabled");
                    String enabled = f.attributes.get("enabled");
                    if (!"true".equals(enabled) && !"false".equals(enabled)) {
                        throw error(f.line, "<capbus_native> element must have enabled=\"true\" or"
                                + " enabled=\"false\"");
                    }
                    settings.nativeProtocol = enabled.equals("true");
                }
                default -> noAttributes(f);
            }
        }

        private void startPolicy(Frame f) throws ConfigException {
            allowedAttributes(f, "context", "user", "group", "at_console");
            String context = f.attributes.get("context");
            String user = f.attributes.get("user");
            String group = f.attributes.get("group");
            String atConsole = f.attributes.get("at_console");
            int count = (context != null ? 1 : 0) + (user != null ? 1 : 0) + (group != null ? 1 : 0)
                    + (atConsole != null ? 1 : 0);
            if (count != 1) {
                throw error(f.line,
                        "<policy> element must have exactly one of (context|user|group|at_console) attributes");
            }
            PolicySection section;
            if (context != null) {
                section = switch (context) {
                    case "default" -> new PolicySection(PolicyContext.DEFAULT, null, false, List.of());
                    case "mandatory" -> new PolicySection(PolicyContext.MANDATORY, null, false, List.of());
                    default -> throw error(f.line, "context attribute on <policy> must have the value"
                            + " \"default\" or \"mandatory\", not \"" + context + "\"");
                };
            } else if (user != null) {
                section = new PolicySection(PolicyContext.USER, user, false, List.of());
            } else if (group != null) {
                section = new PolicySection(PolicyContext.GROUP, group, false, List.of());
            } else {
                if (!atConsole.equals("true") && !atConsole.equals("false")) {
                    throw error(f.line, "Unknown value \"" + atConsole
                            + "\" for at_console in message bus configuration file");
                }
                section = new PolicySection(PolicyContext.AT_CONSOLE, null, atConsole.equals("true"), List.of());
            }
            openPolicy = section;
            openRules = new ArrayList<>();
        }

        private void endElement() throws ConfigException {
            Frame f = stack.pop();
            String content = f.text.toString().strip();
            if (f.element.hasContent && content.isEmpty()) {
                throw error(f.line, "XML element <" + f.element.xmlName + "> was expected to have content inside it");
            }
            switch (f.element) {
                case TYPE -> settings.type = content;
                case USER -> settings.user = content;
                case LISTEN -> settings.listen.add(content);
                case AUTH -> settings.auth.add(content);
                case PIDFILE -> settings.pidfile = Path.of(content);
                case SERVICEHELPER -> settings.servicehelper = resolve(content);
                case SERVICEDIR -> settings.addServiceDir(new ServiceDir(resolve(content), true, false));
                case LIMIT -> endLimit(f, content);
                case INCLUDE -> endInclude(f, content);
                case INCLUDEDIR -> includeDir(f, resolve(content));
                case POLICY -> {
                    settings.sections.add(new PolicySection(openPolicy.context(), openPolicy.principal(),
                            openPolicy.atConsole(), openRules));
                    openPolicy = null;
                    openRules = null;
                }
                default -> { }
            }
        }

        private Path resolve(String path) {
            return basedir.resolve(path).normalize();
        }

        private void endLimit(Frame f, String content) throws ConfigException {
            String name = f.attributes.get("name");
            long value;
            try {
                value = Long.parseLong(content.startsWith("+") ? content.substring(1) : content);
            } catch (NumberFormatException e) {
                throw error(f.line, "<limit name=\"" + name
                        + "\"> element has invalid value (could not parse as integer)");
            }
            BusLimit limit = BusLimit.byConfigName(name);
            if (limit == null) {
                throw error(f.line, "There is no limit called \"" + name + "\"");
            }
            if (value < 0) {
                throw error(f.line, "<limit name=\"" + name + "\"> must be a positive number");
            }
            if (limit.mustFitInt() && value > Integer.MAX_VALUE) {
                throw error(f.line, "<limit name=\"" + name + "\"> value is too large");
            }
            settings.limits = settings.limits.with(limit, value);
        }

        private void endInclude(Frame f, String content) throws ConfigException {
            if ("yes".equals(f.attributes.get("if_selinux_enabled")) && !env.selinuxEnabled()) {
                return;
            }
            Path target;
            if ("yes".equals(f.attributes.get("selinux_root_relative"))) {
                if (env.selinuxPolicyRoot() == null) {
                    throw error(f.line, "Could not determine SELinux policy root for relative inclusion");
                }
                target = env.selinuxPolicyRoot().resolve(content).normalize();
            } else {
                target = resolve(content);
            }
            boolean ignoreMissing = "yes".equals(f.attributes.get("ignore_missing"));
            include(f.line, target, ignoreMissing);
        }

        private void include(int line, Path target, boolean ignoreMissing) throws ConfigException {
            if (including.contains(target)) {
                throw error(line, "Circular inclusion of file '" + target + "'");
            }
            try {
                settings.merge(parseFile(target, settings.limits));
            } catch (NoSuchFileException e) {
                if (!ignoreMissing) {
                    throw error(line, "Failed to open \"" + target + "\": No such file or directory");
                }
            }
        }

        /**
         * Every {@code *.conf} file of {@code dir}, in name order. As in dbus-daemon, a missing directory is
         * fine and a file that fails to load is skipped (here: recorded as a warning), not fatal.
         */
        private void includeDir(Frame f, Path dir) throws ConfigException {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.conf")) {
                entries.forEach(files::add);
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                throw error(f.line, "Failed to open directory \"" + dir + "\": " + describe(e));
            }
            files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
            for (Path p : files) {
                try {
                    include(f.line, p.normalize(), true);
                } catch (ConfigException e) {
                    settings.warnings.add(ConfigProblem.of(e));
                }
            }
            settings.configDirs.add(dir);
        }

        private void noAttributes(Frame f) throws ConfigException {
            if (!f.attributes.isEmpty()) {
                throw error(f.line, "Attribute \"" + f.attributes.keySet().iterator().next()
                        + "\" is invalid on <" + f.element.xmlName + "> element in this context");
            }
        }

        private void allowedAttributes(Frame f, String... allowed) throws ConfigException {
            outer:
            for (String name : f.attributes.keySet()) {
                for (String a : allowed) {
                    if (a.equals(name)) {
                        continue outer;
                    }
                }
                throw error(f.line, "Attribute \"" + name + "\" is invalid on <" + f.element.xmlName
                        + "> element in this context");
            }
        }

        private void yesNo(Frame f, String attribute) throws ConfigException {
            String v = f.attributes.get(attribute);
            if (v != null && !v.equals("yes") && !v.equals("no")) {
                throw error(f.line, attribute + " attribute must have value \"yes\" or \"no\"");
            }
        }
    }
}
