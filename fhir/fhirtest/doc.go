// Package fhirtest provides test helpers around a real FHIR R4 server and
// the seed-case fixtures.
//
// StartMedplum runs testdata/medplum/server.mjs (Medplum's FhirRouter and
// MemoryRepository, pinned to 4.5.2, in memory) on a free loopback port with
// a random bearer token, and stops it when the test ends. The npm packages
// must be installed first:
//
//	scripts/medplum.sh install
//
// Without testdata/medplum/node_modules the calling test is skipped, unless
// FRACTURECDS_REQUIRE_MEDPLUM=1 is set (CI sets it), in which case it fails.
//
// SeedFromRequest PUTs every resource of a CDS Hooks request's prefetch (the
// Patient and every Bundle entry) to that server, so that the service's own
// FHIR client can be tested against the same data the prefetch carried.
//
// LoadCases reads testdata/seeds/cases.json, the manifest of the rules.md
// §5.2 seed cases; Case.Request returns a case's request body.
//
// The package uses the standard library only.
package fhirtest
