package fhir

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

func TestLifestyleFactFromSocialHistory(t *testing.T) {
	local, err := NewTerminology([]LocalCode{
		{System: "urn:fracturecds:seed:local", Code: "alcohol-units-per-day", Lifestyle: rules.LifestyleAlcohol},
		{System: "urn:practice", Code: "calcium-mg", Lifestyle: rules.LifestyleCalciumIntake},
	})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		obs  string
		want *rules.LifestyleRecord
	}{
		{"S3c alcohol 5 units a day (seed local code, configured)",
			`{"resourceType":"Observation","id":"s3c-alcohol","status":"final","code":{"coding":[{"system":"urn:fracturecds:seed:local","code":"alcohol-units-per-day"}]},"valueQuantity":{"value":5,"unit":"{unit}/d"},"effectiveDateTime":"2024-07-01"}`,
			&rules.LifestyleRecord{Source: "Observation/s3c-alcohol", Factor: rules.LifestyleAlcohol, Value: 5, Date: day}},
		{"LOINC packs a day",
			`{"resourceType":"Observation","id":"smk","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8663-7"}]},"valueQuantity":{"value":1},"effectiveDateTime":"2024-07-01"}`,
			&rules.LifestyleRecord{Source: "Observation/smk", Factor: rules.LifestyleSmoking, Value: 1, Date: day}},
		{"calcium intake as an integer (configured code)",
			`{"resourceType":"Observation","id":"ca","status":"final","code":{"coding":[{"system":"urn:practice","code":"calcium-mg"}]},"valueInteger":600,"effectiveDateTime":"2024-07-01"}`,
			&rules.LifestyleRecord{Source: "Observation/ca", Factor: rules.LifestyleCalciumIntake, Value: 600, Date: day}},
		{"smoking status as text only: not interpreted",
			`{"resourceType":"Observation","id":"s3c-smoking","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"72166-2"}]},"valueCodeableConcept":{"text":"Rookt dagelijks: 1 pakje per dag"},"effectiveDateTime":"2024-07-01"}`,
			nil},
		{"a comparator is not a number of units",
			`{"resourceType":"Observation","id":"x","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"74013-4"}]},"valueQuantity":{"value":3,"comparator":">"},"effectiveDateTime":"2024-07-01"}`,
			nil},
		{"the seed local code without configuration: unknown",
			`{"resourceType":"Observation","id":"s3c-alcohol","status":"final","code":{"coding":[{"system":"urn:fracturecds:seed:local","code":"other"}]},"valueQuantity":{"value":5},"effectiveDateTime":"2024-07-01"}`,
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o observation
			if err := json.Unmarshal([]byte(tc.obs), &o); err != nil {
				t.Fatal(err)
			}
			var f rules.Facts
			observationFacts(&o, local, &f)
			var got *rules.LifestyleRecord
			if len(f.Lifestyle) == 1 {
				got = &f.Lifestyle[0]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("lifestyle (-want +got):\n%s", diff)
			}
			if len(f.Lifestyle) > 1 || (tc.want != nil && len(f.Labs) > 0) {
				t.Errorf("read as %d lifestyle records and %d labs", len(f.Lifestyle), len(f.Labs))
			}
		})
	}
}
