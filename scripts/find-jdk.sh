# Sourced (by /bin/sh too) by ./mvnw and the build. Prints the home of a JDK whose major version is >= 25.
capbus_jdk_major() {
  local v
  v="$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')" || return 1
  echo "${v%%.*}"
}
capbus_find_jdk() {
  local cand best="" bestv=0 v
  for cand in "${CAPBUS_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [ -n "$cand" ] && [ -x "$cand/bin/javac" ] || continue
    v="$(capbus_jdk_major "$cand" 2>/dev/null)" || continue
    [ -n "$v" ] && [ "$v" -ge 25 ] 2>/dev/null || continue
    # An explicitly given JDK wins when it is new enough.
    if [ "$cand" = "${CAPBUS_JAVA_HOME:-}" ] || [ "$cand" = "${JAVA_HOME:-}" ]; then echo "$cand"; return 0; fi
    if [ "$v" -gt "$bestv" ]; then best="$cand"; bestv="$v"; fi
  done
  if [ -z "$best" ]; then
    echo "capbus: no JDK 25 or newer found (looked at \$JAVA_HOME and /usr/lib/jvm); install one, e.g. temurin-25-jdk" >&2
    return 1
  fi
  echo "$best"
}
