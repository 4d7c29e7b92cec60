/** The runnable daemon with dbus-daemon's command line. */
package org.capbus.deploy;
