/** The edges of capbus: transports, the native capability protocol and metrics. */
package org.capbus.adapters;
