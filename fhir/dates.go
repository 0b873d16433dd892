package fhir

import (
	"fmt"
	"strings"
	"time"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// FHIR date, dateTime and instant values arrive as strings (samply keeps
// them as *string). Partial dates are allowed: "2024" and "2024-05" mean the
// first day of the period, which is what rules.Patient.BirthDate and the
// recency windows expect. A value without a time zone is read as UTC.

// dateLayouts are tried in order; the first that parses wins.
var dateLayouts = []string{
	time.RFC3339Nano,         // 2024-05-01T10:00:00.123+02:00 and Z
	"2006-01-02T15:04Z07:00", // seconds omitted (not valid FHIR, but sent)
	"2006-01-02T15:04:05",    // offset omitted (not valid FHIR, but sent)
	"2006-01-02T15:04",
	"2006-01-02",
	"2006-01",
	"2006",
}

// dateOnlyLayouts is the tail of dateLayouts without a time part.
var dateOnlyLayouts = dateLayouts[len(dateLayouts)-3:]

// parseDate parses a FHIR date, dateTime or instant.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	layouts := dateLayouts
	if !strings.Contains(s, "T") {
		// Only the last three layouts can match a value without a time;
		// skipping the others saves a failed parse (and its error
		// allocation) per layout on the common date-only values.
		layouts = dateOnlyLayouts
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid FHIR date %q", s)
}

// dateOf parses an optional FHIR date; nil, empty or invalid gives the zero
// time, which every caller treats as "unknown".
func dateOf(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	t, err := parseDate(*s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// periodStart is period.start for a samply Period.
func periodStart(p *r4.Period) time.Time {
	if p == nil {
		return time.Time{}
	}
	return (&period{Start: deref(p.Start), End: deref(p.End)}).start()
}

// firstDate returns the first non-zero time.
func firstDate(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// conditionOnset returns the fracture date of rules.md §0.3:
// onsetDateTime, else onsetPeriod.start, else recordedDate. onsetAge and
// onsetString are skipped: an age needs the birth date and rounding, and
// free text is never parsed.
func conditionOnset(c *condition) time.Time {
	return firstDate(dateOf(&c.OnsetDateTime), c.OnsetPeriod.start(), dateOf(&c.RecordedDate))
}

// serviceRequestDate returns authoredOn, else the occurrence.
func serviceRequestDate(sr r4.ServiceRequest) time.Time {
	return firstDate(dateOf(sr.AuthoredOn), dateOf(sr.OccurrenceDateTime), periodStart(sr.OccurrencePeriod))
}
