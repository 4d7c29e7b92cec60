package org.capbus.dbus.bus;

import java.util.Arrays;
import java.util.Objects;

/**
 * A parsed D-Bus match rule ({@code AddMatch}, {@code RemoveMatch}, {@code BecomeMonitor}): an immutable
 * conjunction of conditions on a message, with the matching logic of dbus-daemon ({@code bus/signals.c}).
 *
 * <p>Grammar (D-Bus specification, "Match Rules", and dbus-daemon's tokenizer, which is the de-facto
 * reference): comma-separated {@code key=value} pairs. Whitespace may precede a key and surround the '=',
 * but everything after the '=' up to an unquoted ',' is the value, whitespace included. In a value,
 * {@code '...'} quotes literally (a backslash inside quotes is an ordinary character), and outside quotes
 * {@code \'} is a literal apostrophe while any other backslash is literal; so an apostrophe is written
 * {@code 'it'\''s'} or {@code it\'s}, while {@code 'it\'s'} is unbalanced and rejected. A trailing comma and
 * trailing whitespace are allowed; the text may be at most 1024 bytes of UTF-8.
 *
 * <p>Where dbus-daemon is lax in ways no client relies on, this class is stricter, as dbus-broker is: an empty
 * key ({@code ='x'}) is rejected instead of being skipped, an arg number must be plain decimal digits, and
 * there is no silent limit of 16 keys per rule (the length limit bounds them).
 *
 * <p>Rules compare equal ({@link #equals}) when their parsed content is equal, which is how
 * {@code RemoveMatch} finds the rule to remove. Immutable; matching runs on the event-loop thread and does not
 * allocate.
 */
public final class MatchRule {

    /** The specification's limit on the length of a rule's text, in bytes. */
    public static final int MAXIMUM_LENGTH = 1024;
    /** The highest argument number a rule may name ({@code arg63}). */
    public static final int MAXIMUM_ARG = 63;

    /** How a rule compares one body argument. */
    public enum ArgMatch {
        /** {@code argN}: the argument is a STRING equal to the value. */
        STRING,
        /** {@code argNpath}: a STRING or OBJECT_PATH equal to the value, or a '/'-terminated prefix either way. */
        PATH,
        /** {@code arg0namespace}: a STRING equal to the value or starting with the value and a '.'. */
        NAMESPACE
    }

    private static final ArgMatch[] NO_KINDS = new ArgMatch[0];
    private static final String[] NO_VALUES = new String[0];

    private final int type;
    private final String sender;
    private final String interfaceName;
    private final String member;
    private final String path;
    private final String pathNamespace;
    private final String destination;
    private final boolean eavesdrop;
    private final String[] argValues;
    private final ArgMatch[] argKinds;
    private final int hash;

    private MatchRule(int type, String sender, String interfaceName, String member, String path,
                      String pathNamespace, String destination, boolean eavesdrop, String[] argValues,
                      ArgMatch[] argKinds) {
        this.type = type;
        this.sender = sender;
        this.interfaceName = interfaceName;
        this.member = member;
        this.path = path;
        this.pathNamespace = pathNamespace;
        this.destination = destination;
        this.eavesdrop = eavesdrop;
        this.argValues = argValues;
        this.argKinds = argKinds;
        this.hash = Objects.hash(type, sender, interfaceName, member, path, pathNamespace, destination, eavesdrop,
                Arrays.hashCode(argValues), Arrays.hashCode(argKinds));
    }

    /** Parses the text of a match rule; never throws for bad input. */
    public static MatchRuleParseResult parse(String text) {
        int bytes = utf8Length(text);
        if (bytes > MAXIMUM_LENGTH) {
            return new MatchRuleParseResult(null, MatchRuleParseResult.Failure.TOO_LONG,
                    "Match rule text is " + bytes + " bytes, maximum is " + MAXIMUM_LENGTH);
        }
        return new Parser(text).parse();
    }

    /** The same rule with eavesdropping forced on or off; the driver forces it on for {@code BecomeMonitor}. */
    public MatchRule withEavesdrop(boolean on) {
        if (on == eavesdrop) {
            return this;
        }
        return new MatchRule(type, sender, interfaceName, member, path, pathNamespace, destination, on, argValues,
                argKinds);
    }

    /**
     * True if the message matches every condition of this rule, as dbus-daemon's {@code match_rule_matches}.
     * A rule without {@code eavesdrop='true'} matches only broadcasts (no DESTINATION); a rule naming a
     * destination matches only when eavesdropping. Whether the subscriber is itself the addressed recipient (who
     * gets the message anyway) is {@link MatchIndex}'s concern.
     *
     * @param message            the message
     * @param addressedRecipient unique name of the connection the message is addressed to, or null for a
     *                           broadcast, a message to the driver, or a recipient not yet known (activation)
     * @param names              the current primary owners, to match well-known sender and destination names
     */
    public boolean matches(MatchableMessage message, String addressedRecipient, NameOwnership names) {
        if (type != 0 && type != message.type()) {
            return false;
        }
        if (interfaceName != null && !interfaceName.equals(message.interfaceName())) {
            return false;
        }
        if (member != null && !member.equals(message.member())) {
            return false;
        }
        if (sender != null && !nameMatches(sender, message.sender(), names)) {
            return false;
        }
        String messageDestination = message.destination();
        if (destination != null) {
            if (messageDestination == null || !eavesdrop) {
                return false;
            }
            if (addressedRecipient == null) {
                // To the driver, or to a name being activated: compare with the name the sender used.
                if (!destination.equals(messageDestination)) {
                    return false;
                }
            } else if (!nameMatches(destination, addressedRecipient, names)) {
                return false;
            }
        } else if (messageDestination != null && !eavesdrop) {
            // Since dbus 1.5.6 a rule sees unicast messages only if it asks to eavesdrop (specification, "eavesdrop").
            return false;
        }
        if (path != null && !path.equals(message.path())) {
            return false;
        }
        if (pathNamespace != null && !inPathNamespace(message.path(), pathNamespace)) {
            return false;
        }
        for (int i = 0; i < argValues.length; i++) {
            ArgMatch kind = argKinds[i];
            if (kind != null && !argMatches(kind, argValues[i], message, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean argMatches(ArgMatch kind, String expected, MatchableMessage message, int n) {
        String actual = message.stringArg(n);
        if (actual == null) {
            return false;
        }
        return switch (kind) {
            case STRING -> !message.isObjectPathArg(n) && expected.equals(actual);
            case PATH -> pathArgMatches(expected, actual);
            case NAMESPACE -> !message.isObjectPathArg(n) && inNamespace(actual, expected, '.');
        };
    }

    /**
     * {@code argNpath}: equal, or one of the two ends with '/' and is a prefix of the other (specification: "the
     * argument or the value ... ends with '/' and is a prefix of the other").
     */
    static boolean pathArgMatches(String expected, String actual) {
        int e = expected.length();
        int a = actual.length();
        if (e < a) {
            return e > 0 && expected.charAt(e - 1) == '/' && actual.startsWith(expected);
        }
        if (e > a) {
            return a > 0 && actual.charAt(a - 1) == '/' && expected.startsWith(actual);
        }
        return expected.equals(actual);
    }

    /** {@code path_namespace}: the path is the namespace or below it; the namespace "/" contains every path. */
    static boolean inPathNamespace(String messagePath, String namespace) {
        if (messagePath == null) {
            return false;
        }
        if (namespace.length() == 1) {
            return true;
        }
        return inNamespace(messagePath, namespace, '/');
    }

    private static boolean inNamespace(String value, String namespace, char separator) {
        int n = namespace.length();
        return value.startsWith(namespace) && (value.length() == n || value.charAt(n) == separator);
    }

    /**
     * True if {@code connectionName} (a unique name, or the driver's name) is {@code ruleName}, or is the current
     * primary owner of the well-known name {@code ruleName} (dbus-daemon's {@code connection_is_primary_owner}).
     */
    private static boolean nameMatches(String ruleName, String connectionName, NameOwnership names) {
        if (connectionName == null) {
            return false;
        }
        if (ruleName.equals(connectionName)) {
            return true;
        }
        return !BusNames.isUniqueName(ruleName) && connectionName.equals(names.primaryOwnerOf(ruleName));
    }

    /** The message type to match ({@link MatchableMessage#SIGNAL} etc.), or 0 for any. */
    public int type() {
        return type;
    }

    /** The {@code sender} value (unique or well-known name), or null. */
    public String sender() {
        return sender;
    }

    /** The {@code interface} value, or null. */
    public String interfaceName() {
        return interfaceName;
    }

    /** The {@code member} value, or null. */
    public String member() {
        return member;
    }

    /** The {@code path} value, or null. */
    public String path() {
        return path;
    }

    /** The {@code path_namespace} value, or null. */
    public String pathNamespace() {
        return pathNamespace;
    }

    /** The {@code destination} value, or null. */
    public String destination() {
        return destination;
    }

    /** True if the rule has {@code eavesdrop='true'} (or was forced for a monitor). */
    public boolean eavesdrop() {
        return eavesdrop;
    }

    /** One more than the highest argument number the rule names; 0 if it names none. */
    public int argCount() {
        return argValues.length;
    }

    /** The value the rule compares argument {@code n} with, or null if it does not name it. */
    public String arg(int n) {
        return n < argValues.length ? argValues[n] : null;
    }

    /** How the rule compares argument {@code n}, or null if it does not name it. */
    public ArgMatch argMatch(int n) {
        return n < argKinds.length ? argKinds[n] : null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MatchRule r && hash == r.hash && type == r.type && eavesdrop == r.eavesdrop
                && Objects.equals(sender, r.sender) && Objects.equals(interfaceName, r.interfaceName)
                && Objects.equals(member, r.member) && Objects.equals(path, r.path)
                && Objects.equals(pathNamespace, r.pathNamespace) && Objects.equals(destination, r.destination)
                && Arrays.equals(argValues, r.argValues) && Arrays.equals(argKinds, r.argKinds);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /**
     * The rule in canonical text form, which {@link #parse} reads back into an equal rule. The keys come in
     * dbus-daemon's order ({@code match_rule_to_string} in bus/signals.c), so that GetAllMatchRules prints what
     * dbus-daemon prints for the same rule.
     */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        if (type != 0) {
            append(b, "type", typeName(type));
        }
        append(b, "interface", interfaceName);
        append(b, "member", member);
        append(b, "path", path);
        append(b, "path_namespace", pathNamespace);
        append(b, "sender", sender);
        append(b, "destination", destination);
        if (eavesdrop) {
            append(b, "eavesdrop", "true");
        }
        for (int i = 0; i < argValues.length; i++) {
            if (argKinds[i] != null) {
                String key = switch (argKinds[i]) {
                    case STRING -> "arg" + i;
                    case PATH -> "arg" + i + "path";
                    case NAMESPACE -> "arg0namespace";
                };
                append(b, key, argValues[i]);
            }
        }
        return b.toString();
    }

    private static void append(StringBuilder b, String key, String value) {
        if (value == null) {
            return;
        }
        if (!b.isEmpty()) {
            b.append(',');
        }
        b.append(key).append("='");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\'') {
                b.append("'\\''");
            } else {
                b.append(c);
            }
        }
        b.append('\'');
    }

    private static String typeName(int type) {
        return switch (type) {
            case MatchableMessage.METHOD_CALL -> "method_call";
            case MatchableMessage.METHOD_RETURN -> "method_return";
            case MatchableMessage.ERROR -> "error";
            case MatchableMessage.SIGNAL -> "signal";
            default -> throw new IllegalStateException("type " + type);
        };
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isSurrogate(c)) {
                n += 2; // a pair is 4 bytes
            } else {
                n += 3;
            }
        }
        return n;
    }

    /** One parse of one rule text; keeps the fields seen so far. */
    private static final class Parser {
        private final String text;
        private int pos;
        private int type;
        private String sender;
        private String interfaceName;
        private String member;
        private String path;
        private String pathNamespace;
        private String destination;
        private boolean eavesdrop;
        private String[] argValues = NO_VALUES;
        private ArgMatch[] argKinds = NO_KINDS;

        Parser(String text) {
            this.text = text;
        }

        MatchRuleParseResult parse() {
            int n = text.length();
            while (true) {
                while (pos < n && isWhite(text.charAt(pos))) {
                    pos++;
                }
                if (pos >= n) {
                    break;
                }
                int keyStart = pos;
                while (pos < n && text.charAt(pos) != '=' && !isWhite(text.charAt(pos))) {
                    pos++;
                }
                String key = text.substring(keyStart, pos);
                while (pos < n && isWhite(text.charAt(pos))) {
                    pos++;
                }
                if (pos >= n || text.charAt(pos) != '=') {
                    return MatchRuleParseResult.invalid("Match rule has a key with no subsequent '=' character");
                }
                if (key.isEmpty()) {
                    return MatchRuleParseResult.invalid("Match rule has an empty key");
                }
                pos++;
                String value = readValue();
                if (value == null) {
                    return MatchRuleParseResult.invalid("Unbalanced quotation marks in match rule");
                }
                String error = apply(key, value);
                if (error != null) {
                    return MatchRuleParseResult.invalid(error);
                }
            }
            return MatchRuleParseResult.ok(new MatchRule(type, sender, interfaceName, member, path, pathNamespace,
                    destination, eavesdrop, argValues, argKinds));
        }

        /** Reads a value up to an unquoted ',' (consumed) or the end; null if a quote is left open. */
        private String readValue() {
            StringBuilder value = new StringBuilder();
            int n = text.length();
            char quote = 0;
            while (pos < n) {
                char c = text.charAt(pos++);
                if (quote == 0) {
                    if (c == ',') {
                        return value.toString();
                    } else if (c == '\'' || c == '\\') {
                        quote = c;
                    } else {
                        value.append(c);
                    }
                } else if (quote == '\\') {
                    // Outside quotes a backslash escapes only an apostrophe; otherwise it is itself.
                    if (c != '\'') {
                        value.append('\\');
                    }
                    value.append(c);
                    quote = 0;
                } else if (c == '\'') {
                    quote = 0;
                } else {
                    value.append(c);
                }
            }
            if (quote == '\\') {
                value.append('\\');
            } else if (quote == '\'') {
                return null;
            }
            return value.toString();
        }

        /** Records one key; returns an error message, or null if the pair is valid. */
        private String apply(String key, String value) {
            switch (key) {
                case "type" -> {
                    if (type != 0) {
                        return twice(key);
                    }
                    type = switch (value) {
                        case "signal" -> MatchableMessage.SIGNAL;
                        case "method_call" -> MatchableMessage.METHOD_CALL;
                        case "method_return" -> MatchableMessage.METHOD_RETURN;
                        case "error" -> MatchableMessage.ERROR;
                        default -> 0;
                    };
                    return type == 0 ? "Invalid message type (" + value + ") in match rule" : null;
                }
                case "sender" -> {
                    if (sender != null) {
                        return twice(key);
                    }
                    if (!BusNames.isValidBusName(value)) {
                        return "Sender name '" + value + "' is invalid";
                    }
                    sender = value;
                    return null;
                }
                case "interface" -> {
                    if (interfaceName != null) {
                        return twice(key);
                    }
                    if (!BusNames.isValidInterfaceName(value)) {
                        return "Interface name '" + value + "' is invalid";
                    }
                    interfaceName = value;
                    return null;
                }
                case "member" -> {
                    if (member != null) {
                        return twice(key);
                    }
                    if (!BusNames.isValidMemberName(value)) {
                        return "Member name '" + value + "' is invalid";
                    }
                    member = value;
                    return null;
                }
                case "path", "path_namespace" -> {
                    if (path != null || pathNamespace != null) {
                        return "path or path_namespace specified twice in match rule";
                    }
                    if (!BusNames.isValidObjectPath(value)) {
                        return "Path '" + value + "' is invalid";
                    }
                    if (key.equals("path")) {
                        path = value;
                    } else {
                        pathNamespace = value;
                    }
                    return null;
                }
                case "destination" -> {
                    if (destination != null) {
                        return twice(key);
                    }
                    if (!BusNames.isValidBusName(value)) {
                        return "Destination name '" + value + "' is invalid";
                    }
                    destination = value;
                    return null;
                }
                case "eavesdrop" -> {
                    // dbus-daemon accepts eavesdrop twice (tools append eavesdrop='false'); the last one wins.
                    if (value.equals("true")) {
                        eavesdrop = true;
                    } else if (value.equals("false")) {
                        eavesdrop = false;
                    } else {
                        return "eavesdrop='" + value + "' is invalid, it should be 'true' or 'false'";
                    }
                    return null;
                }
                default -> {
                    if (key.startsWith("arg")) {
                        return applyArg(key, value);
                    }
                    return "Unknown key \"" + key + "\" in match rule";
                }
            }
        }

        private String applyArg(String key, String value) {
            int n = key.length();
            int i = 3;
            int number = 0;
            while (i < n && key.charAt(i) >= '0' && key.charAt(i) <= '9') {
                number = Math.min(number * 10 + (key.charAt(i) - '0'), 1_000_000);
                i++;
            }
            if (i == 3) {
                return "Key '" + key + "' in match rule starts with 'arg' but lacks an arg number";
            }
            ArgMatch kind;
            String rest = key.substring(i);
            if (rest.isEmpty()) {
                kind = ArgMatch.STRING;
            } else if (rest.equals("path")) {
                kind = ArgMatch.PATH;
            } else if (key.equals("arg0namespace")) {
                kind = ArgMatch.NAMESPACE;
                if (!BusNames.isValidNamespace(value)) {
                    return "arg0namespace='" + value + "' is not a valid prefix of a bus name";
                }
            } else {
                return "Key '" + key + "' in match rule contains junk after argument number. "
                        + "Only 'arg" + number + "path' (for example) or 'arg0namespace' are valid";
            }
            if (number > MAXIMUM_ARG) {
                return "Key '" + key + "' in match rule has arg number " + number + " but the maximum is "
                        + MAXIMUM_ARG;
            }
            if (number < argKinds.length && argKinds[number] != null) {
                return "Argument " + key + " matched more than once in match rule";
            }
            if (number >= argKinds.length) {
                argKinds = Arrays.copyOf(argKinds, number + 1);
                argValues = Arrays.copyOf(argValues, number + 1);
            }
            argKinds[number] = kind;
            argValues[number] = value;
            return null;
        }

        private static String twice(String key) {
            return "Key " + key + " specified twice in match rule";
        }

        private static boolean isWhite(char c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r';
        }
    }
}
