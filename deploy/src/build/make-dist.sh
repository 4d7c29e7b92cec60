#!/bin/sh
# Makes the runnable distribution at package time (run by deploy/pom.xml after the shaded jar, with the JDK that runs
# Maven as $1 and deploy/ as the working directory):
#
#   target/capbus-dist/capbus/        what ./capbus runs; the same tree is packed as target/capbus-dist.tar.gz
#     bin/capbus                      the launcher (src/dist/bin/capbus)
#     lib/capbus.jar                  the daemon with its dependencies (maven-shade-plugin)
#     lib/libnetty_transport_native_epoll_x86_64.so   netty's epoll library, loaded from here, not copied to /tmp
#     lib/capbus.aot                  the JDK 25 AOT cache for runtime/ and the launcher's JVM options
#     runtime/                        a Java runtime trimmed by jlink to the modules capbus uses
#     systemd/{user,system}/capbus.{socket,service}, capbus-upgrade.service
#
# The modules are what jdeps finds in the jar, less those only reachable from library code capbus never loads
# (NOT_LOADED below). The AOT cache is made by the launcher itself (CAPBUS_AOT_TRAIN), so the training run has
# exactly the options the bus starts with. The JVM checks the jar's size and time against the cache: the jar is
# copied with its time kept, and tar keeps it, so the cache stays valid wherever the tarball is unpacked.
set -eu
jdk=$1
target=target
dist=$target/capbus-dist/capbus

# java.sql and java.desktop (java.beans) are referenced only by micrometer's database and logging-framework binders,
# which capbus does not use; leaving them out saves ~10 MB.
NOT_LOADED="java.sql java.desktop"

rm -rf "$target/capbus-dist" "$target/capbus-dist.tar.gz"
mkdir -p "$dist/bin" "$dist/lib"
cp src/dist/bin/capbus "$dist/bin/capbus"
chmod 0755 "$dist/bin/capbus"
cp -p "$target/capbus.jar" "$dist/lib/capbus.jar"
# netty's epoll library, left out of the jar (deploy/pom.xml): loaded from here (the launcher's java.library.path).
cp "$target"/netty-native/META-INF/native/*.so "$dist/lib/"
cp -r systemd "$dist/systemd"

modules=""
# --list-deps names every module the jar refers to (--print-module-deps would leave out java.xml, implied by
# java.desktop); lines naming a package (module/package) are JDK internals already counted in their module.
for m in $("$jdk/bin/jdeps" --list-deps --ignore-missing-deps --multi-release 25 "$target/capbus.jar" | grep -v /); do
  case " $NOT_LOADED " in *" $m "*) continue ;; esac
  modules="${modules:+$modules,}$m"
done
echo "capbus dist: jlink --add-modules $modules"
"$jdk/bin/jlink" --add-modules "$modules" --output "$dist/runtime" \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6

echo "capbus dist: AOT cache training run"
env -u CAPBUS_JAVA_HOME CAPBUS_AOT_TRAIN="$dist/lib/capbus.aot" CAPBUS_JAVA_OPTS="" "$dist/bin/capbus"

# Owner root, sorted, so the tarball does not depend on who built it.
tar -C "$target/capbus-dist" --owner=0 --group=0 --numeric-owner --sort=name -czf "$target/capbus-dist.tar.gz" capbus
echo "capbus dist: $(du -sh "$dist" | cut -f1) unpacked, $(du -h "$target/capbus-dist.tar.gz" | cut -f1) packed"
