/** Service activation's parts that are not routing: the failures, starting and reaping services, watching service directories, and the children's environment. */
package org.capbus.dbus.activation;
