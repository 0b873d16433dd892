package fhir

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	cet := time.FixedZone("", 2*3600)
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"year only is 1 January", "1948", time.Date(1948, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"year-month is the first day", "1948-06", time.Date(1948, 6, 1, 0, 0, 0, 0, time.UTC), false},
		{"full date", "1948-06-15", time.Date(1948, 6, 15, 0, 0, 0, 0, time.UTC), false},
		{"dateTime with Z", "2024-05-01T10:30:00Z", time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC), false},
		{"dateTime with offset keeps the instant", "2024-05-01T10:30:00+02:00", time.Date(2024, 5, 1, 10, 30, 0, 0, cet), false},
		{"fractional seconds", "2024-05-01T10:30:00.123Z", time.Date(2024, 5, 1, 10, 30, 0, 123000000, time.UTC), false},
		{"missing offset read as UTC", "2024-05-01T10:30:00", time.Date(2024, 5, 1, 10, 30, 0, 0, time.UTC), false},
		{"surrounding spaces", " 2024-05-01 ", time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), false},
		{"month 13 is invalid", "2024-13", time.Time{}, true},
		{"free text is invalid", "spring 2024", time.Time{}, true},
		{"empty is invalid", "", time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDate(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseDate(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if !got.Equal(tc.want) {
				t.Errorf("parseDate(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestObservationDate(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		obs  string // the Observation's date elements, as JSON members
		want time.Time
	}{
		{"effectiveDateTime", `"effectiveDateTime":"2024-03-01","issued":"2024-03-05T00:00:00Z"`, d(2024, 3, 1)},
		{"effectivePeriod start", `"effectivePeriod":{"start":"2024-02-10","end":"2024-02-11"}`, d(2024, 2, 10)},
		{"effectivePeriod with only an end", `"effectivePeriod":{"end":"2024-02-11"}`, d(2024, 2, 11)},
		{"effectiveInstant", `"effectiveInstant":"2024-02-12T08:00:00Z","issued":"2024-03-05T00:00:00Z"`, time.Date(2024, 2, 12, 8, 0, 0, 0, time.UTC)},
		{"issued when nothing else", `"issued":"2024-03-05T00:00:00Z"`, d(2024, 3, 5)},
		{"invalid effective falls through to issued", `"effectiveDateTime":"gisteren","issued":"2024-03-05T00:00:00Z"`, d(2024, 3, 5)},
		{"undated", ``, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := decodeObservation(t, `{"resourceType":"Observation"`+strings.TrimSuffix(","+tc.obs, ",")+`}`)
			if got := o.date(); !got.Equal(tc.want) {
				t.Errorf("date() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestServiceRequestDate(t *testing.T) {
	tests := []struct {
		name string
		sr   serviceRequest
		want time.Time
	}{
		{"authoredOn first", serviceRequest{AuthoredOn: "2024-01-02", OccurrenceDateTime: "2024-02-02"}, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"occurrenceDateTime", serviceRequest{OccurrenceDateTime: "2024-02-02"}, time.Date(2024, 2, 2, 0, 0, 0, 0, time.UTC)},
		{"occurrencePeriod", serviceRequest{OccurrencePeriod: &period{Start: "2024-03"}}, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serviceRequestDate(&tc.sr); !got.Equal(tc.want) {
				t.Errorf("serviceRequestDate = %v, want %v", got, tc.want)
			}
		})
	}
}
