/** The bus's state as a live upgrade hands it to the next process: plain data, no behaviour (docs/live-upgrade.md). */
package org.capbus.dbus.broker.handover;
