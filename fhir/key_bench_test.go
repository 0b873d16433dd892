package fhir

import (
	"testing"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
)

// BenchmarkDecodeKey measures decodeValue on one prefetch key of the
// generated typical patient, to see the cost of one resource type.
func BenchmarkDecodeKey(b *testing.B) {
	in, _ := benchInput(b, fhirtest.Typical)
	for _, key := range []string{KeyPatient, KeyLabs, KeyDXA, KeyConditions, KeyMedicationStatements, KeyMedicationRequests, KeyMedicationAdministrations, KeyServiceRequests} {
		b.Run(key, func(b *testing.B) {
			body := in.Prefetch[key]
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeValue(key, body, in.PatientID, &resources{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
