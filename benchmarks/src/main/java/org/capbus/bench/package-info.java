/** JMH benchmarks of the core and the bridge. */
package org.capbus.bench;
