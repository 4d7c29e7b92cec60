#!/usr/bin/env bash
# A soak run (not part of CI): scripts/soak.sh DURATION [capbus|dbus-daemon]
# DURATION as 90s, 30m or 2h. Starts the bus on a temporary socket with the integration tests' configuration and
# runs mixed load against it (echo calls through a well-known name, signals to several listeners, reconnects; see
# deploy/src/test/java/org/capbus/deploy/soak/Soak.java), printing progress every minute and, at the end, calls and
# signals lost or reordered and the bus's RSS, descriptors and threads at start and end. Exit status 0 when nothing
# was lost or reordered and the bus survived.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
./mvnw -q -B -DskipTests -pl deploy -am package 1>&2
./mvnw -q -B -o -pl deploy dependency:build-classpath -Dmdep.outputFile="$here/deploy/target/soak.classpath" 1>&2
. scripts/find-jdk.sh
java="$(capbus_find_jdk)/bin/java"
cd deploy
export CAPBUS_NO_BUILD=1
# Startup is not what a soak measures: no AOT training run (it can outlast the start bound on a busy machine).
export CAPBUS_AOT=0
exec "$java" -cp "target/test-classes:target/classes:$(cat target/soak.classpath)" org.capbus.deploy.soak.Soak "$@"
