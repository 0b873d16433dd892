package fhir

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// layoutLoopParseDate is parseDate as it was before parseDateFast: the
// oracle that the fast path must agree with on every input.
func layoutLoopParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty date")
	}
	layouts := dateLayouts
	if !strings.Contains(s, "T") {
		layouts = dateOnlyLayouts
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid FHIR date %q", s)
}

// parsed is what a caller can observe of a parse: whether it failed, the
// instant, and the zone it is shown in.
type parsed struct {
	OK       bool
	Unix     int64
	Nano     int
	Zone     string
	Offset   int
	Location string
	Text     string
}

func observe(t time.Time, err error) parsed {
	if err != nil {
		return parsed{}
	}
	name, offset := t.Zone()
	return parsed{
		OK: true, Unix: t.Unix(), Nano: t.Nanosecond(), Zone: name, Offset: offset,
		Location: t.Location().String(), Text: t.Format(time.RFC3339Nano),
	}
}

// agree fails t when parseDate and the layout loop disagree on s.
func agree(t *testing.T, s string) {
	t.Helper()
	want, wantErr := layoutLoopParseDate(s)
	got, gotErr := parseDate(s)
	if diff := cmp.Diff(observe(want, wantErr), observe(got, gotErr)); diff != "" {
		t.Errorf("parseDate(%q) differs from the layout loop (-loop +new):\n%s", s, diff)
	}
	if wantErr == nil && !got.Equal(want) {
		t.Errorf("parseDate(%q) = %v, the layout loop gives %v", s, got, want)
	}
}

// parseDateCases are the shapes the fast path reads and the ones it must
// leave to the layout loop (or reject exactly as the loop does).
var parseDateCases = []string{
	// Read by the fast path.
	"2024-05-01", "1948-06-15", "0000-01-01", "0001-01-01", "9999-12-31",
	"2024-02-29", "2000-02-29", "1600-02-29", "2024-04-30", "2024-12-31",
	"2024-05-01T10:30:00Z", "2024-05-01T00:00:00Z", "2024-05-01T23:59:59Z",
	"2024-05-01T10:30:00+02:00", "2024-05-01T10:30:00-05:00", "2024-05-01T10:30:00+00:00",
	"2024-05-01T10:30:00-00:00", "2024-05-01T10:30:00+05:30", "2024-05-01T10:30:00+23:59",
	"2024-05-01T10:30:00-23:59", "2024-01-01T00:30:00+01:00", "0000-01-01T00:00:00+01:00",
	"2024-03-31T02:30:00+01:00", "2024-03-31T03:30:00+02:00", "2024-10-27T02:30:00+01:00",
	"2024-10-27T02:30:00+02:00", "2024-07-01T12:00:00+01:00", "2024-07-01T12:00:00+02:00",
	"2024-05-01T10:30:00.1Z", "2024-05-01T10:30:00.123Z", "2024-05-01T10:30:00.123456789Z",
	"2024-05-01T10:30:00.1234567891Z", "2024-05-01T10:30:00.999999999999+02:00",
	"2024-05-01T10:30:00.000+01:00", "2024-05-01T10:30:00.5-03:30",
	" 2024-05-01 ", "\t2024-05-01T10:30:00Z\n",
	// Left to the layout loop.
	"", "   ", "1948", "1948-06", "2024-13", "2024-00", "2024-1", "0000", "20240501",
	"2024-02-30", "2023-02-29", "1900-02-29", "2024-04-31", "2024-00-10", "2024-13-01",
	"2024-05-00", "2024-05-32", "2024-5-01", "2024-05-1", "2024/05/01", "+2024-05-01",
	"-024-05-01", "2024-05-01T", "2024-05-01T10", "2024-05-01T10:30", "2024-05-01T10:30Z",
	"2024-05-01T10:30+02:00", "2024-05-01T10:30:00", "2024-05-01T10:30:00.123",
	"2024-05-01T10:30:00z", "2024-05-01t10:30:00Z", "2024-05-01 10:30:00Z",
	"2024-05-01T24:00:00Z", "2024-05-01T23:60:00Z", "2024-05-01T23:59:60Z",
	"2024-12-31T23:59:60+00:00", "2024-05-01T10:30:00+24:00", "2024-05-01T10:30:00+02:60",
	"2024-05-01T10:30:00+0200", "2024-05-01T10:30:00+02", "2024-05-01T10:30:00 +02:00",
	"2024-05-01T10:30:00,5Z", "2024-05-01T10:30:00.Z", "2024-05-01T10:30:00.+02:00",
	"2024-05-01T10:30:00ZZ", "2024-05-01T10:30:00Z ", "2024-05-01T10:30:00UTC",
	"2024-05-01T10:30:00-02:00x", "2024-02-30T10:30:00Z", "2023-02-29T00:00:00+01:00",
	"2024-05-01T1:30:00Z", "2024-05-01T10:3:00Z", "2024-05-01T10:30:0Z", "2024-05-01x",
	"2024-05-01T10:30:00+2:00", "2024-05-01T10:30:00+02:0a", "２０２４-05-01",
	"2024-05-01T10:30:00.12345678901234567890123Z", "spring 2024", "gisteren",
}

// TestParseDateFastAgreesWithLayouts checks every case under three local
// zones, because time.Parse shows an offset in time.Local when Local has
// that offset at that instant (Amsterdam: +01:00 in winter, +02:00 in
// summer), and in a fixed zone otherwise.
func TestParseDateFastAgreesWithLayouts(t *testing.T) {
	for _, loc := range testLocals(t) {
		t.Run(loc.String(), func(t *testing.T) {
			withLocal(t, loc)
			for _, s := range parseDateCases {
				agree(t, s)
			}
		})
	}
}

// TestParseDateFastShapes pins which inputs the fast path takes, so a
// change that quietly sends the common shapes back to the layout loop (or
// takes a shape it must not) is seen.
func TestParseDateFastShapes(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"2024-05-01", true},
		{"2024-05-01T10:30:00Z", true},
		{"2024-05-01T10:30:00.123+02:00", true},
		{"2024-05-01T10:30:00-05:00", true},
		{"1948", false},
		{"1948-06", false},
		{"2024-02-30", false},
		{"2024-05-01T24:00:00Z", false},
		{"2024-05-01T23:59:60Z", false},
		{"2024-05-01T10:30:00z", false},
		{"2024-05-01T10:30:00", false},
		{"2024-05-01T10:30Z", false},
		{"2024-05-01T10:30:00,5Z", false},
	}
	for _, tc := range tests {
		_, got := parseDateFast(tc.in)
		if got != tc.want {
			t.Errorf("parseDateFast(%q) ok = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestDaysIn compares daysIn with package time's own calendar.
func TestDaysIn(t *testing.T) {
	for _, y := range []int{0, 1, 4, 100, 400, 1900, 1999, 2000, 2023, 2024, 2100, 9999} {
		for m := time.January; m <= time.December; m++ {
			want := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
			if got := daysIn(m, y); got != want {
				t.Errorf("daysIn(%v, %d) = %d, want %d", m, y, got, want)
			}
		}
	}
}

// FuzzParseDate checks that parseDate, with its fast path, and the layout
// loop agree on every input: both fail, or both give the same instant in
// the same zone.
func FuzzParseDate(f *testing.F) {
	for _, s := range parseDateCases {
		f.Add(s)
	}
	locals := testLocals(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, loc := range locals {
			withLocal(t, loc)
			agree(t, s)
		}
	})
}

// testLocals are the time.Local values the comparison runs under: UTC, a
// zone with daylight saving time, and a fixed zone off the hour.
func testLocals(tb testing.TB) []*time.Location {
	locals := []*time.Location{time.UTC, time.FixedZone("IST", 5*3600+1800)}
	if ams, err := time.LoadLocation("Europe/Amsterdam"); err == nil {
		locals = append(locals, ams)
	} else {
		tb.Logf("no tz database, Europe/Amsterdam not tested: %v", err)
	}
	return locals
}

// withLocal sets time.Local for the rest of the test. Tests in this
// package do not run in parallel, so nothing else sees it.
func withLocal(t *testing.T, loc *time.Location) {
	old := time.Local
	time.Local = loc
	t.Cleanup(func() { time.Local = old })
}

// FuzzParseDateFields builds dates and dateTimes from numbers, so the
// fuzzer explores the region the fast path reads (days at month ends,
// leap years, hours, offsets, fractions) rather than mostly free text.
func FuzzParseDateFields(f *testing.F) {
	f.Add(2024, 2, 29, 10, 30, 0, "123", "+02:00", true)
	f.Add(2023, 2, 29, 24, 0, 60, "", "Z", true)
	f.Add(2024, 3, 31, 2, 30, 0, "", "+01:00", false)
	f.Add(1, 1, 1, 0, 0, 0, "0000000001", "-23:59", true)
	locals := testLocals(f)
	f.Fuzz(func(t *testing.T, y, mo, d, h, mi, s int, frac, zone string, withTime bool) {
		v := fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
		if withTime {
			v += fmt.Sprintf("T%02d:%02d:%02d", h, mi, s)
			if frac != "" {
				v += "." + frac
			}
			v += zone
		}
		for _, loc := range locals {
			withLocal(t, loc)
			agree(t, v)
		}
	})
}

// BenchmarkParseDate compares parseDate with the layout loop it replaced
// on the shapes a request carries.
func BenchmarkParseDate(b *testing.B) {
	for _, s := range []string{"2024-05-01", "2024-05-01T10:30:00Z", "2024-05-01T10:30:00.123+02:00", "2024-05", ""} {
		for _, fn := range []struct {
			name  string
			parse func(string) (time.Time, error)
		}{{"fast", parseDate}, {"loop", layoutLoopParseDate}} {
			b.Run(fmt.Sprintf("%s/%q", fn.name, s), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_, _ = fn.parse(s)
				}
			})
		}
	}
}
