package org.capbus.config;

/**
 * Where capbus serves its Prometheus metrics: a host (a name, an IPv4 literal, or an IPv6 literal, written in
 * brackets as in a URL) and a TCP port. Given on the command line ({@code --metrics=HOST:PORT}) or in the
 * configuration ({@code <metrics address="HOST:PORT"/>}, capbus's one element beyond dbus-daemon's format). Immutable.
 *
 * @param host the host, without brackets
 * @param port 1..65535
 */
public record MetricsAddress(String host, int port) {

    public MetricsAddress {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("metrics address has no host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("metrics port: " + port + " (expected: 1..65535)");
        }
    }

    /**
     * Parses {@code HOST:PORT} ({@code 127.0.0.1:9464}, {@code localhost:9464}, {@code [::1]:9464}).
     *
     * @throws IllegalArgumentException with the reason, for the caller to report with its own context
     */
    public static MetricsAddress parse(String text) {
        String t = text.strip();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("metrics address \"" + text + "\" is not HOST:PORT");
        }
        String host = t.substring(0, colon);
        String port = t.substring(colon + 1);
        if (host.startsWith("[") != host.endsWith("]")) {
            throw new IllegalArgumentException("metrics address \"" + text + "\" has an unbalanced bracket");
        }
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("metrics address \"" + text
                    + "\": an IPv6 host must be written in brackets, as [::1]:9464");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (Character.isWhitespace(c) || c == '/' || c == '[' || c == ']') {
                throw new IllegalArgumentException("metrics address \"" + text + "\" has an invalid host");
            }
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("metrics address \"" + text + "\": port is not a number");
        }
        return new MetricsAddress(host, Integer.parseInt(port));
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
