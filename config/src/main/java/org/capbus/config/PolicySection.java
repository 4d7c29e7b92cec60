package org.capbus.config;

import java.util.List;

/**
 * One {@code <policy>} element with its rules in file order.
 *
 * @param context   which connections it applies to
 * @param principal the user or group name for {@link PolicyContext#USER}/{@link PolicyContext#GROUP},
 *                  else null
 * @param atConsole for {@link PolicyContext#AT_CONSOLE}: applies to console users (true) or to the
 *                  others (false)
 * @param rules     immutable, in file order
 */
public record PolicySection(PolicyContext context, String principal, boolean atConsole, List<PolicyRule> rules) {

    public PolicySection {
        rules = List.copyOf(rules);
    }
}
