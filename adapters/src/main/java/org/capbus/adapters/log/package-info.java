/**
 * capbus's slf4j backend: every log line of the process goes through a bounded queue to one writer thread, which
 * sends it to standard error, syslog or the journal; callers (the event loop among them) never wait.
 */
package org.capbus.adapters.log;
