package fhirtest

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

var genAsOf = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// countResources returns the Bundle entries per prefetch key (1 for the
// Patient) of a generated request.
func countResources(t *testing.T, body []byte) (map[string]int, int) {
	t.Helper()
	var req struct {
		Prefetch map[string]struct {
			ResourceType string            `json:"resourceType"`
			Entry        []json.RawMessage `json:"entry"`
		} `json:"prefetch"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatalf("generated request is not JSON: %v", err)
	}
	counts, total := map[string]int{}, 0
	for _, k := range PrefetchKeys {
		v, ok := req.Prefetch[k]
		if !ok {
			t.Fatalf("prefetch key %s missing", k)
		}
		n := len(v.Entry)
		if v.ResourceType == "Patient" {
			n = 1
		}
		counts[k] = n
		total += n
	}
	return counts, total
}

func TestGenerateProfiles(t *testing.T) {
	for _, tc := range []struct {
		p        Profile
		minBytes int
		maxBytes int
	}{
		{Typical, 45_000, 75_000},
		{Heavy, 150_000, 400_000},
	} {
		body := Generate(tc.p, 1, genAsOf)
		counts, total := countResources(t, body)
		if total != tc.p.Resources() {
			t.Errorf("%s: %d resources, want %d (%v)", tc.p.Name, total, tc.p.Resources(), counts)
		}
		if counts["conditions"] != tc.p.Conditions || counts["medicationStatements"] != tc.p.MedicationStatements {
			t.Errorf("%s: counts %v do not match the profile", tc.p.Name, counts)
		}
		if len(body) < tc.minBytes || len(body) > tc.maxBytes {
			t.Errorf("%s: %d bytes, want %d..%d", tc.p.Name, len(body), tc.minBytes, tc.maxBytes)
		}
	}
}

func TestGenerateSized(t *testing.T) {
	for _, n := range []int{30, 300, 3000} {
		p := Sized(n)
		if p.Resources() != n {
			t.Errorf("Sized(%d).Resources() = %d", n, p.Resources())
		}
		if _, total := countResources(t, Generate(p, 7, genAsOf)); total != n {
			t.Errorf("Sized(%d) generated %d resources", n, total)
		}
	}
}

func TestGenerateReproducible(t *testing.T) {
	a := Generate(Typical, 42, genAsOf)
	if b := Generate(Typical, 42, genAsOf); !bytes.Equal(a, b) {
		t.Error("same seed gave different bodies")
	}
	if c := Generate(Typical, 43, genAsOf); bytes.Equal(a, c) {
		t.Error("different seeds gave the same body")
	}
}
