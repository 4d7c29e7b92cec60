/** dbus-daemon's XML configuration format, read into immutable settings. */
package org.capbus.config;
