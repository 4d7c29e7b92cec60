/**
 * The unix-socket transport of the bus: listening, accepting, credentials, and reads and writes with file-descriptor
 * passing, done with the Foreign Function &amp; Memory API on netty's epoll event loop.
 */
package org.capbus.adapters.transport;
