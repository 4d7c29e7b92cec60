/**
 * What the bus counts for metrics ({@link org.capbus.dbus.broker.stats.BusStats}) and the bounded label sets of those
 * counts (disconnect reasons, policy denials, quota resources). Plain fields, written on the event-loop thread.
 */
package org.capbus.dbus.broker.stats;
