#!/bin/sh
# Runs the capability example end to end on a private capbus bus: builds the client library, starts the bus,
# starts the native service, calls it from gdbus and busctl like any D-Bus service, then runs the native clients
# that pass a capability around until the service hears NodeReleased. Usage: examples/capability-service/run.sh
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
tmp="$(mktemp -d)"
./mvnw -q -B -pl client -am package -DskipTests
./mvnw -q -B -pl client dependency:build-classpath -Dmdep.outputFile="$tmp/cp" -Dmdep.includeScope=runtime
cp="$root/client/target/capbus-client-0.1.0-SNAPSHOT.jar:$(cat "$tmp/cp")"
java="${JAVA:-java}"   # the system's java (17 on Debian 12) is enough
trap 'kill $service $busPid 2>/dev/null || true; rm -rf "$tmp"' EXIT
./capbus --session --nofork --print-address --address="unix:path=$tmp/bus" > "$tmp/address" &
busPid=$!
while [ ! -s "$tmp/address" ]; do sleep 0.1; done
export DBUS_SESSION_BUS_ADDRESS="$(head -n1 "$tmp/address")"
"$java" -cp "$cp" "$here/CapabilityDemo.java" service > "$tmp/service.log" 2>&1 &
service=$!
while ! grep -q READY "$tmp/service.log"; do
    kill -0 $service 2>/dev/null || { cat "$tmp/service.log"; exit 1; }
    sleep 0.2
done
echo "--- gdbus call";  gdbus call --session --dest org.capbus.example.Counter --object-path /org/capbus/example \
    --method org.capbus.example.Counter.Ping
echo "--- busctl call"; busctl --user call org.capbus.example.Counter /org/capbus/example org.capbus.example.Counter Ping
echo "--- busctl introspect"; busctl --user introspect org.capbus.example.Counter /org/capbus/example
echo "--- native clients"; "$java" -cp "$cp" "$here/CapabilityDemo.java" client
sleep 0.5
echo "--- the service said"; cat "$tmp/service.log"
