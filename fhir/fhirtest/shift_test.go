package fhirtest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestShiftDates(t *testing.T) {
	in := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"2013-12-16",
"effectiveDateTime":"2013-12-16T09:00:00Z","issued":"2013-12-16T09:00:00.123+01:00",
"valueQuantity":{"value":0.853000,"code":"2013"},"code":{"text":"2013-12-16"}}},
{"resource":{"resourceType":"Patient","birthDate":"1938-06-01","deceasedDateTime":"2013-13-01"}},
{"resource":{"resourceType":"Condition","onsetDateTime":"2013-11","recordedDate":"2013",
"onsetPeriod":{"start":"2013-12-31T23:30:00-05:00"},"note":[{"time":"2013-12-16T09:00Z"}]}}]}`
	out, err := ShiftDates([]byte(in), 20)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"entry":[{"resource":{"code":{"text":"2013-12-16"},"effectiveDateTime":"2014-01-05T09:00:00Z",
"id":"2013-12-16","issued":"2014-01-05T09:00:00.123+01:00","resourceType":"Observation",
"valueQuantity":{"code":"2013","value":0.853000}}},
{"resource":{"birthDate":"1938-06-21","deceasedDateTime":"2013-13-01","resourceType":"Patient"}},
{"resource":{"note":[{"time":"2014-01-05T09:00Z"}],"onsetDateTime":"2013-11","onsetPeriod":{"start":"2014-01-20T23:30:00-05:00"},
"recordedDate":"2013","resourceType":"Condition"}}],"resourceType":"Bundle"}`
	var got, exp any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(exp, got); d != "" {
		t.Errorf("shifted (-want +got):\n%s\n%s", d, out)
	}
	// Numbers keep their exact text (no float round trip).
	if !strings.Contains(string(out), `"value":0.853000`) {
		t.Errorf("number text changed: %s", out)
	}
	// Whole years for YYYY.
	out, _ = ShiftDates([]byte(`{"recordedDate":"2013"}`), 4749)
	if string(out) != `{"recordedDate":"2026"}` {
		t.Errorf("year shift: %s", out)
	}
}

func TestDaysUntil(t *testing.T) {
	from := time.Date(2013, 12, 16, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		to   time.Time
		want int
	}{
		{from, 0},
		{from.Add(23 * time.Hour), 0},
		{from.Add(25 * time.Hour), 1},
		{from.Add(-time.Hour), -1},
		{time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC), 4739},
	} {
		if got := DaysUntil(from, tt.to); got != tt.want {
			t.Errorf("DaysUntil(%v) = %d, want %d", tt.to, got, tt.want)
		}
	}
}
