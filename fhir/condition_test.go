package fhir

import (
	"testing"
	"time"
)

// decodeCondition decodes a Condition as the prefetch decoder does.
func decodeCondition(t *testing.T, js string) *condition {
	t.Helper()
	c, err := decodeAs[condition]([]byte(js))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return &c
}

func TestConditionActive(t *testing.T) {
	status := func(code string) string {
		return `"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"` + code + `"}]}`
	}
	tests := []struct {
		name string
		c    string // members of the Condition
		want bool
	}{
		{"active", status("active"), true},
		{"recurrence", status("recurrence"), true},
		{"relapse", status("relapse"), true},
		{"inactive", status("inactive"), false},
		{"remission", status("remission"), false},
		{"resolved", status("resolved"), false},
		{"missing status counts as active", ``, true},
		{"status without codings counts as missing", `"clinicalStatus":{"text":"weg"}`, true},
		{"missing status with an abatement date is not active", `"abatementDateTime":"2023-01-01"`, false},
		{"missing status with an abatement age is not active", `"abatementAge":{"value":60,"unit":"a"}`, false},
		{"missing status with an abatement period is not active", `"abatementPeriod":{"start":"2023-01-01"}`, false},
		{"missing status with an abatement range is not active", `"abatementRange":{"low":{"value":60}}`, false},
		{"missing status with an abatement string is not active", `"abatementString":"genezen"`, false},
		{"a null abatement is no abatement", `"abatementDateTime":null`, true},
		{"explicit active wins over abatement", status("active") + `,"abatementDateTime":"2023-01-01"`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeCondition(t, `{"resourceType":"Condition"`+prefixComma(tc.c)+`}`)
			if got := conditionActive(c); got != tc.want {
				t.Errorf("conditionActive = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConditionOnset(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name         string
		c            string
		want         time.Time
		recordedOnly bool
	}{
		{"onsetDateTime wins over recordedDate", `"onsetDateTime":"2023-11","recordedDate":"2024-01-02"`, d(2023, 11, 1), false},
		{"onsetPeriod start", `"onsetPeriod":{"start":"2023-10-04"},"recordedDate":"2024-01-02"`, d(2023, 10, 4), false},
		{"onsetPeriod with only an end", `"onsetPeriod":{"end":"2023-10-05"},"recordedDate":"2024-01-02"`, d(2023, 10, 5), false},
		{"only recordedDate", `"recordedDate":"2025-09-08"`, d(2025, 9, 8), true},
		{"onsetString is not parsed, recordedDate used", `"onsetString":"vorig jaar","recordedDate":"2024-01-02"`, d(2024, 1, 2), true},
		{"onsetAge is not read, recordedDate used", `"onsetAge":{"value":70,"unit":"a"},"recordedDate":"2024-01-02"`, d(2024, 1, 2), true},
		{"no date at all", ``, time.Time{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := decodeCondition(t, `{"resourceType":"Condition"`+prefixComma(tc.c)+`}`)
			got, recordedOnly := conditionOnset(c)
			if !got.Equal(tc.want) || recordedOnly != tc.recordedOnly {
				t.Errorf("conditionOnset = %v, %v; want %v, %v", got, recordedOnly, tc.want, tc.recordedOnly)
			}
		})
	}
}

// prefixComma returns ","+members, or "" for no members.
func prefixComma(members string) string {
	if members == "" {
		return ""
	}
	return "," + members
}
