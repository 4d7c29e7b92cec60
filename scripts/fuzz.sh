#!/usr/bin/env bash
# Long coverage-guided fuzzing of one jazzer target of dbus-bridge (see docs/fuzzing.md).
#
#   scripts/fuzz.sh TARGET [DURATION] [EXECUTIONS]
#
# TARGET: framer (MessageFramerFuzzTest), validator (BodyValidatorFuzzTest), sasl (SaslServerFuzzTest) or native
# (NativeFrameDecoderFuzzTest).
# DURATION: jazzer's max_duration, e.g. 30m or 2h (default 1h). EXECUTIONS: max_executions (default 10000000).
# The fuzzer stops at whichever comes first, or at the first finding. New coverage goes to
# dbus-bridge/.cifuzz-corpus/<class>/<method>/ (not committed; merge the interesting inputs into the committed corpus
# with scripts/fuzz-merge.sh); a finding is written to dbus-bridge/src/test/resources/<package>/<Class>Inputs/<method>/
# as crash-<sha1>, where the ordinary test run replays it from then on. Progress lines (#<executions> ... exec/s) go
# to standard error.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  framer) class=org.capbus.dbus.wire.MessageFramerFuzzTest ;;
  validator) class=org.capbus.dbus.wire.BodyValidatorFuzzTest ;;
  sasl) class=org.capbus.dbus.sasl.SaslServerFuzzTest ;;
  native) class=org.capbus.dbus.nativeproto.NativeFrameDecoderFuzzTest ;;
  *) echo "usage: $0 framer|validator|sasl|native [DURATION] [EXECUTIONS]" >&2; exit 2 ;;
esac
cd "$here"
JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${2:-1h}" JAZZER_MAX_EXECUTIONS="${3:-10000000}" \
  exec ./mvnw -B -pl dbus-bridge -am test -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false \
  -DtrimStackTrace=false
