package org.capbus.config;

/** An optional boolean attribute ({@code send_broadcast}), without boxing. */
public enum Tristate {
    ANY, TRUE, FALSE
}
