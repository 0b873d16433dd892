package fhir

import (
	"errors"
	"fmt"
	"strings"
	"time"
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

// errEmptyDate is returned for an empty or blank date. It is a
// sentinel because every Observation has several absent date elements
// (effectiveInstant, issued, ...), and building a new error for each was
// a quarter of fact extraction's allocations.
var errEmptyDate = errors.New("empty date")

// parseDate parses a FHIR date, dateTime or instant.
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errEmptyDate
	}
	if t, ok := parseDateFast(s); ok {
		return t, nil
	}
	return parseDateLayouts(s)
}

// parseDateLayouts tries dateLayouts in turn on a trimmed, non-empty s.
func parseDateLayouts(s string) (time.Time, error) {
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

// parseDateFast reads the two shapes nearly every date in a request has,
// YYYY-MM-DD and YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm), without
// time.Parse's layout machinery. It returns exactly what parseDateLayouts
// returns for them (FuzzParseDate checks this against the layout loop),
// and ok false for anything else, including every value it is unsure of
// (a day that does not exist, hour 24, second 60, a lower-case z): those
// take the layout loop, which decides as it always did.
func parseDateFast(s string) (time.Time, bool) {
	if len(s) != len("2006-01-02") && len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' ||
		month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	if len(s) == len("2006-01-02") {
		// The "2006-01-02" layout: midnight UTC.
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), true
	}
	hour, ok1 := digits(s[11:13])
	minute, ok2 := digits(s[14:16])
	sec, ok3 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := s[19:]
	// The fraction, as time.RFC3339Nano reads it: any number of digits,
	// of which the first nine count.
	nsec := 0
	if len(rest) >= 2 && rest[0] == '.' && isDigit(rest[1]) {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			if n <= 9 {
				nsec = nsec*10 + int(rest[n]-'0')
			}
			n++
		}
		for i := n; i <= 9; i++ {
			nsec *= 10
		}
		rest = rest[n:]
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if rest == "Z" {
		return t, true
	}
	if len(rest) != len("+07:00") || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' {
		return time.Time{}, false
	}
	oh, ok1 := digits(rest[1:3])
	om, ok2 := digits(rest[4:6])
	if !ok1 || !ok2 || oh > 23 || om > 59 {
		return time.Time{}, false
	}
	offset := (oh*60 + om) * 60
	if rest[0] == '-' {
		offset = -offset
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	// time.Parse keeps the instant in time.Local when Local has this
	// offset at that instant, else in an unnamed fixed zone.
	if _, local := t.In(time.Local).Zone(); local == offset {
		return t.In(time.Local), true
	}
	return t.In(time.FixedZone("", offset)), true
}

// digits reads s as an unsigned decimal number; ok is false when s holds
// anything but ASCII digits.
func digits(s string) (n int, ok bool) {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// daysIn returns the number of days of month m in year y, by the
// proleptic Gregorian rules package time uses.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
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
// Like observation.date it stops at the first date found. recordedOnly is
// true when the date is the recordedDate: then it is when the condition was
// written down, not when it began (a VFA deformity of unknown age), and the
// rules must not count it as a fracture since a given day. An onsetAge is
// an onset, but it is not read, so it leaves the onset unknown as well.
func conditionOnset(c *condition) (t time.Time, recordedOnly bool) {
	if t := dateOf(&c.OnsetDateTime); !t.IsZero() {
		return t, false
	}
	if t := c.OnsetPeriod.start(); !t.IsZero() {
		return t, false
	}
	if t := dateOf(&c.RecordedDate); !t.IsZero() {
		return t, true
	}
	return time.Time{}, false
}

// serviceRequestDate returns authoredOn, else the occurrence.
func serviceRequestDate(sr *serviceRequest) time.Time {
	return firstDate(dateOf(&sr.AuthoredOn), dateOf(&sr.OccurrenceDateTime), sr.OccurrencePeriod.start())
}
