/**
 * dbus-daemon's XML configuration format ({@link org.capbus.config.BusConfig#load}) read into immutable
 * settings, and the evaluation of its {@code <policy>} rules ({@link org.capbus.config.ClientPolicy}).
 */
package org.capbus.config;
