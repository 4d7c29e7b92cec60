package org.capbus.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a service file's {@code Exec=} line into arguments as dbus-daemon's {@code _dbus_shell_parse_argv} does:
 * whitespace separates words, single quotes keep everything literally, double quotes and a backslash escape
 * the next character; no variable, glob or tilde expansion, no pipes. Stateless.
 */
public final class ExecCommandLine {

    private ExecCommandLine() {
    }

    /**
     * The argument vector of {@code line}.
     *
     * @throws IllegalArgumentException with dbus-daemon's reason if the line is empty or a quote is not closed
     */
    public static List<String> split(String line) {
        List<String> argv = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t' || c == '\n') {
                if (inWord) {
                    argv.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("Unmatched quotation mark in command line or other shell-quoted text");
                }
                word.append(line, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char d = line.charAt(i);
                    if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    }
                    if (d == '\\' && i + 1 < n && "\"\\$`\n".indexOf(line.charAt(i + 1)) >= 0) {
                        word.append(line.charAt(i + 1));
                        i += 2;
                        continue;
                    }
                    word.append(d);
                    i++;
                }
                if (!closed) {
                    throw new IllegalArgumentException("Unmatched quotation mark in command line or other shell-quoted text");
                }
                inWord = true;
            } else if (c == '\\' && i + 1 < n) {
                if (line.charAt(i + 1) != '\n') {
                    word.append(line.charAt(i + 1));
                    inWord = true;
                }
                i += 2;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            argv.add(word.toString());
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("Text was empty (or contained only whitespace)");
        }
        return List.copyOf(argv);
    }
}
