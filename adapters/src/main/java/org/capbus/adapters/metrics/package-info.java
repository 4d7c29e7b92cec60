/** Prometheus metrics of the bus, served with micrometer on an HTTP endpoint of their own, off the event loop. */
package org.capbus.adapters.metrics;
