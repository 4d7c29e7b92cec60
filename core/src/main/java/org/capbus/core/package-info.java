/** The capability message core: peers, nodes, handles, messages, queues and per-user accounting (bus1 semantics). */
package org.capbus.core;
