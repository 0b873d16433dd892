// Package fhir turns FHIR R4 data into rules.Facts and rules.Orders into
// FHIR R4 resources. It is the only package that imports the samply
// golang-fhir-models types (aliased r4); none of them leave it.
//
// It implements the data side of CDS Hooks 2.0.1 (shared/design/cds-hooks.md
// §D and §E): the prefetch templates the services advertise, the four states
// of a prefetch key (present, null = known empty, OperationOutcome = error,
// absent = fetch it), and the fallback that fetches missing data from the
// EHR's fhirServer with the fhirAuthorization bearer token, in parallel,
// following next links, within a total time budget. When required data can
// be neither prefetched nor fetched it returns ErrDataUnavailable, which the
// hooks package answers with 412.
//
// Terminology (terminology.md §11 value sets: LOINC, SNOMED CT, ATC,
// RxNorm, ICD-10, ICPC) and unit normalisation (terminology.md §6) live here;
// clinical judgement lives in package rules.
package fhir
