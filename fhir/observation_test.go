package fhir

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// decodeObservation decodes an Observation as the prefetch decoder does.
func decodeObservation(t *testing.T, js string) *observation {
	t.Helper()
	o, err := decodeAs[observation]([]byte(js))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return &o
}

func TestObservationUsable(t *testing.T) {
	tests := []struct {
		name string
		obs  string
		want bool
	}{
		{"final", `{"status":"final"}`, true},
		{"amended", `{"status":"amended"}`, true},
		{"corrected", `{"status":"corrected"}`, true},
		{"preliminary", `{"status":"preliminary"}`, true},
		{"entered-in-error", `{"status":"entered-in-error"}`, false},
		{"cancelled", `{"status":"cancelled"}`, false},
		{"unknown", `{"status":"unknown"}`, false},
		{"registered has no result yet", `{"status":"registered"}`, false},
		{"missing status is the sender's omission", `{}`, true},
		{"null status is a missing status", `{"status":null}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeObservation(t, tc.obs).usable(); got != tc.want {
				t.Errorf("usable() = %v, want %v", got, tc.want)
			}
		})
	}
}

// An Observation is valid when samply would have decoded it: an unknown
// status or comparator must become a gap, never a guess.
func TestObservationValid(t *testing.T) {
	tests := []struct {
		name string
		obs  string
		want bool
	}{
		{"plain final", `{"status":"final","valueQuantity":{"value":1,"comparator":"<"}}`, true},
		{"every comparator", `{"component":[{"valueQuantity":{"comparator":"<="}},{"valueQuantity":{"comparator":">="}},{"valueQuantity":{"comparator":">"}}]}`, true},
		{"unknown status", `{"status":"done"}`, false},
		{"status in the wrong case", `{"status":"Final"}`, false},
		{"unknown value comparator", `{"valueQuantity":{"value":1,"comparator":"~"}}`, false},
		{"unknown reference range comparator", `{"referenceRange":[{"low":{"value":1,"comparator":"≥"}}]}`, false},
		{"unknown component comparator", `{"component":[{"valueQuantity":{"value":1,"comparator":"=<"}}]}`, false},
		{"unknown component range comparator", `{"component":[{"referenceRange":[{"high":{"value":1,"comparator":"lt"}}]}]}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := decodeObservation(t, tc.obs)
			if got := o.valid(); got != tc.want {
				t.Errorf("valid() = %v, want %v", got, tc.want)
			}
			// samply agrees: what valid() rejects, r4 cannot decode.
			_, err := r4.UnmarshalObservation([]byte(tc.obs))
			if (err == nil) != tc.want {
				t.Errorf("samply decode error = %v, valid() = %v", err, tc.want)
			}
		})
	}
}

func TestQuantityOf(t *testing.T) {
	n := json.Number("0.10")
	lt := r4.QuantityComparatorLessThan
	unit, system, code := "milligram", "http://unitsofmeasure.org", "mg"
	tests := []struct {
		name string
		in   *r4.Quantity
		want *quantity
	}{
		{"nil", nil, nil},
		{"empty", &r4.Quantity{}, &quantity{}},
		{"every element, the value as written", &r4.Quantity{Value: &n, Comparator: &lt, Unit: &unit, System: &system, Code: &code},
			&quantity{Value: "0.10", Comparator: "<", Unit: "milligram", Code: "mg"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, quantityOf(tc.in)); diff != "" {
				t.Errorf("quantityOf (-want +got):\n%s", diff)
			}
		})
	}
}
