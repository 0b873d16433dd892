package rules

import (
	"strings"
	"testing"
)

// Hospitals override thresholds from a YAML map, whose order is random:
// dependent settings must work in any order and be checked once, at the end.
func TestThresholdOverridesDoNotDependOnOrder(t *testing.T) {
	orders := [][]string{
		{"LSC_MODE", "PRECISION_ERROR_SPINE", "PRECISION_ERROR_HIP"},
		{"PRECISION_ERROR_HIP", "LSC_MODE", "PRECISION_ERROR_SPINE"},
		{"PRECISION_ERROR_SPINE", "PRECISION_ERROR_HIP", "LSC_MODE"},
	}
	values := map[string]any{"LSC_MODE": "iscd-local", "PRECISION_ERROR_SPINE": 0.010, "PRECISION_ERROR_HIP": 0.012}
	for _, order := range orders {
		th := DefaultThresholds()
		for _, k := range order {
			if err := th.Set(k, values[k]); err != nil {
				t.Fatalf("order %v: Set(%s): %v", order, k, err)
			}
		}
		if err := th.Validate(); err != nil {
			t.Errorf("order %v: Validate: %v", order, err)
		}
		if th.LSCMode != "iscd-local" || th.PrecisionErrorHip != 0.012 {
			t.Errorf("order %v: not applied: %+v", order, th)
		}
	}
}

func TestThresholdSetRejectsTyposAndWrongTypes(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		key     string
		value   any
		wantErr string
	}{
		{"CASEFIND_MIN_AGE", 55, ""},
		{"casefind_min_age", 55.0, ""},
		{"CASEFIND_MIN_AGE", 55.5, "whole number"},
		{"CASEFIND_MIN_AGEE", 55, "unknown threshold"},
		{"VFA_GRADE1_COUNTS", "yes", "true or false"},
		{"TSCORE_OSTEOPOROSIS", "low", "want a number"},
	}
	for _, tt := range tests {
		err := th.Set(tt.key, tt.value)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Set(%s, %v): %v", tt.key, tt.value, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Set(%s, %v) = %v, want error containing %q", tt.key, tt.value, err, tt.wantErr)
		}
	}
	if th.CaseFindMinAge != 55 {
		t.Errorf("CaseFindMinAge = %d, want 55", th.CaseFindMinAge)
	}
	bad := DefaultThresholds()
	_ = bad.Set("LSC_MODE", "iscd-local")
	if err := bad.Validate(); err == nil {
		t.Error("iscd-local without precision errors must not validate")
	}
}

// Every configuration key is unique, so a hospital's override can only
// mean one threshold.
func TestThresholdKeysAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range ThresholdKeys() {
		if k == "" || seen[k] {
			t.Errorf("threshold key %q empty or repeated", k)
		}
		seen[k] = true
	}
}
