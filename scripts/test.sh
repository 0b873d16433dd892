#!/usr/bin/env bash
# The test command (README "Run the tests"). Installs what the tests need
# that Go does not (the Medplum FHIR R4 test server, via npm), then runs
# every Go test, including the integration test against that real FHIR
# server, and a short fuzzing budget per fuzz target.
#
#   scripts/test.sh            all tests + fuzzing (FUZZTIME per target, default 10s)
#   FUZZTIME=0 scripts/test.sh skip fuzzing
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d testdata/medplum/node_modules ]]; then
  scripts/medplum.sh install
fi

# The integration tests must not silently skip: a missing FHIR server fails.
export FRACTURECDS_REQUIRE_MEDPLUM=1

go test -count=1 ./...

# Benchmarks keep compiling and running: one iteration each, and -short
# skips the sizes above 3,000 resources (README "Performance"). Speed is
# measured with the benchmarks and the load generator, never here.
go test -run='^$' -bench=. -benchtime=1x -short ./...

fuzztime="${FUZZTIME:-10s}"
if [[ "$fuzztime" != "0" ]]; then
  # Every Fuzz* target, each for a short budget; crashers found are kept in
  # testdata/fuzz/ by go test and become regression seeds.
  for pkg in $(go list ./...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
      echo "fuzz $pkg $target ($fuzztime)"
      go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
    done
  done
fi
