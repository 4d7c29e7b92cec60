package org.capbus.dbus.driver;

/**
 * One method of a driver interface: its name, argument signatures and handler. The tables of methods are the one
 * source for dispatch, argument checking and introspection.
 *
 * @param name            the member name
 * @param inSignature     the signature the call's body must have
 * @param outSignature    the signature of the reply (for introspection)
 * @param handler         what the method does
 */
record DriverMethod(String name, String inSignature, String outSignature, Handler handler) {

    /** Runs a call whose arguments match {@link #inSignature}. */
    @FunctionalInterface
    interface Handler {
        void handle(DriverRequest request);
    }
}
