/**
 * Black-box integration tests: a real bus process (capbus or the reference dbus-daemon) on a temporary socket, driven
 * by real client programs and libraries; every test runs against each bus selected by the {@code it.buses} property.
 */
package org.capbus.deploy.it;
