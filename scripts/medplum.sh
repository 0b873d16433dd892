#!/usr/bin/env bash
# Helpers for the in-memory Medplum FHIR R4 test server (testdata/medplum).
#
#   scripts/medplum.sh install        npm ci in testdata/medplum (uses the committed lockfile)
#   scripts/medplum.sh start [PORT]   run the server in the foreground (default port 8103;
#                                     0 = any free port). Prints "listening <url>" when ready.
#                                     Set MEDPLUM_TOKEN to require a bearer token.
#
# Go tests start their own server through fhir/fhirtest.StartMedplum; CI only needs `install`
# plus FRACTURECDS_REQUIRE_MEDPLUM=1 so that a missing install fails instead of skipping.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/testdata/medplum"

usage() {
  echo "usage: $0 install | start [PORT]" >&2
  exit 2
}

case "${1:-}" in
  install)
    command -v node >/dev/null || { echo "node not found (need node >= 20.19)" >&2; exit 1; }
    cd "$dir"
    npm ci --no-audit --no-fund
    ;;
  start)
    port="${2:-${MEDPLUM_PORT:-8103}}"
    [[ -d "$dir/node_modules" ]] || { echo "testdata/medplum/node_modules missing; run: $0 install" >&2; exit 1; }
    cd "$dir"
    exec node server.mjs "$port"
    ;;
  *)
    usage
    ;;
esac
