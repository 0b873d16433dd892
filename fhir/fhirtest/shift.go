package fhirtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"time"
)

// partialDate matches the FHIR date and dateTime forms ShiftDates moves:
// YYYY, YYYY-MM, YYYY-MM-DD and a dateTime with a time and zone.
var partialDate = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$`)

// notDates are member names whose values are never dates, even when they
// look like one (an id or code "2013" stays as it is).
var notDates = map[string]bool{
	"id": true, "code": true, "system": true, "reference": true, "url": true,
	"text": true, "display": true, "value": true, "version": true, "div": true,
}

// ShiftDates moves every date and dateTime in a JSON document (a resource,
// a Bundle or a whole CDS Hooks request) by days, so that a fixture
// written for an evaluation moment T can be evaluated at another moment
// T + days with the same intervals: a browser client such as the CDS Hooks
// Sandbox stamps its orders with today's date, and the service it calls
// uses the real clock. Birth dates move too, so ages stay the same.
// YYYY-MM values move by the days from their first day; YYYY values by
// whole years (days / 365.25, rounded). Numbers are kept exactly.
func ShiftDates(doc []byte, days int) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("fhirtest: shift dates: %w", err)
	}
	v = shiftValue(v, "", days)
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("fhirtest: shift dates: %w", err)
	}
	return out, nil
}

func shiftValue(v any, key string, days int) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = shiftValue(e, k, days)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = shiftValue(e, key, days)
		}
		return x
	case string:
		if notDates[key] || !partialDate.MatchString(x) {
			return x
		}
		return shiftDate(x, days)
	default:
		return v
	}
}

// shiftDate moves one FHIR date or dateTime string that partialDate
// matched; a value that does not parse (a month 13) is left alone.
func shiftDate(s string, days int) string {
	switch len(s) {
	case 4:
		t, err := time.Parse("2006", s)
		if err != nil {
			return s
		}
		return t.AddDate(int(math.Round(float64(days)/365.25)), 0, 0).Format("2006")
	case 7:
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return s
		}
		return t.AddDate(0, 0, days).Format("2006-01")
	case 10:
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return s
		}
		return t.AddDate(0, 0, days).Format(time.DateOnly)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// FHIR allows a dateTime without seconds (hh:mm) only in some
		// profiles; keep anything else unchanged.
		t2, err2 := time.Parse("2006-01-02T15:04Z07:00", s)
		if err2 != nil {
			return s
		}
		return t2.AddDate(0, 0, days).Format("2006-01-02T15:04Z07:00")
	}
	layout := time.RFC3339
	if bytes.ContainsRune([]byte(s), '.') {
		layout = time.RFC3339Nano
	}
	return t.AddDate(0, 0, days).Format(layout)
}

// DaysUntil is the whole number of days from from to to (negative when to
// is earlier), the shift that moves a fixture written for from to to.
func DaysUntil(from, to time.Time) int {
	return int(math.Floor(to.Sub(from).Hours() / 24))
}
