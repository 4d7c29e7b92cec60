/**
 * Routing of the messages clients send ({@link org.capbus.dbus.broker.routing.Router}), with the configuration's
 * send and receive rules applied ({@link org.capbus.dbus.broker.routing.PolicyGate}).
 */
package org.capbus.dbus.broker.routing;
