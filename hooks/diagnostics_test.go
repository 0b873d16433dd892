package hooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// logged posts body and returns the response and its one access-log line.
func logged(t *testing.T, cfg Config, path, body string) (*httptest.ResponseRecorder, observer.LoggedEntry) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	cfg.Logger = zap.New(core)
	if cfg.Thresholds == (rules.Thresholds{}) {
		cfg.Thresholds = rules.DefaultThresholds()
	}
	cfg.Now = func() time.Time { return testNow }
	rec := post(t, NewHandler(cfg), path, body, nil)
	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("got %d log lines, want 1", len(entries))
	}
	return rec, entries[0]
}

func diagnostics(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var oo outcome
	if err := json.Unmarshal(rec.Body.Bytes(), &oo); err != nil || len(oo.Issue) != 1 {
		t.Fatalf("body is not a one-issue OperationOutcome: %s", rec.Body)
	}
	return oo.Issue[0].Diagnostics
}

// TestRejectedRequestLogLineSaysWhyWithoutValues: the access-log line of
// a 4xx carries the same reason the client got, naming the field, so an
// operator can diagnose a rejected call from the server side; the values
// the request sent never reach the log.
func TestRejectedRequestLogLineSaysWhyWithoutValues(t *testing.T) {
	const pv = "/cds-services/fracturecds-patient-view"
	tests := []struct {
		name, path, body string
		wantStatus       int
		wantReason       string
		secret           string
	}{
		{"patientId", pv, `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"Jansen Secret"}}`,
			400, "context.patientId must be a FHIR id", "Jansen Secret"},
		{"hookInstance", pv, strings.Replace(validPatientView, "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "SECRET-instance", 1),
			400, "hookInstance must be a UUID", "SECRET-instance"},
		{"fhirServer", pv, `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","fhirServer":"ftp://secret.example","context":{"userId":"Practitioner/1","patientId":"p"}}`,
			400, "fhirServer must be an absolute http(s) URL", "secret.example"},
		{"malformed JSON", pv, `{"hook": "patient-view", "secretField": tru`, 400, "request body is not valid JSON", "secretField"},
		{"prefetch of the wrong type", pv, strings.Replace(validPatientView, `{"resourceType": "Patient", "id": "pieterse"}`, `{"resourceType": "Observation", "id": "secret-obs"}`, 1),
			400, "prefetch key patient", "secret-obs"},
		{"unknown service", "/cds-services/secret-service", validPatientView, 404, "unknown CDS service", "secret-service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fhir.NewGatherer(fhir.Options{})
			rec, entry := logged(t, Config{Facts: g, Prefetch: g.Templates()}, tt.path, tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			fields := entry.ContextMap()
			reason, _ := fields["error"].(string)
			if !strings.Contains(reason, tt.wantReason) {
				t.Errorf("log error %q does not give the reason %q", reason, tt.wantReason)
			}
			if d := diagnostics(t, rec); !strings.Contains(d, tt.wantReason) {
				t.Errorf("client diagnostics %q do not give the reason %q", d, tt.wantReason)
			}
			if line, _ := json.Marshal(fields); strings.Contains(string(line), tt.secret) {
				t.Errorf("log line holds the request's value %q: %s", tt.secret, line)
			}
		})
	}
}

// missingKeys are the prefetch keys validPatientView does not send.
var missingKeys = []string{"conditions", "dxa", "labs", "medicationStatements", "medicationRequests", "medicationAdministrations", "serviceRequests"}

// TestDataUnavailableNamesEveryMissingKeyAndWhy: a 412 names every
// prefetch key the service lacked, not only the first, and says whether
// the FHIR server was absent from the request, refused by the allow-list
// or failed; the access log carries the same text.
func TestDataUnavailableNamesEveryMissingKeyAndWhy(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	withServer := func(server string) string {
		return strings.Replace(validPatientView, `"context"`, `"fhirServer":"`+server+`","fhirAuthorization":{"access_token":"SECRET-TOKEN","token_type":"Bearer","expires_in":300,"scope":"user/*.read","subject":"cds"},"context"`, 1)
	}
	tests := []struct {
		name, body string
		want       string
	}{
		{"absent", validPatientView, "the request has no fhirServer"},
		{"refused by the allow-list", withServer("https://ehr.example/fhir"), "fhirServer is not on the allow-list"},
		{"failed", withServer(failing.URL + "/fhir"), "the FHIR server failed, so keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fhir.NewGatherer(fhir.Options{Budget: 5 * time.Second})
			rec, entry := logged(t, Config{Facts: g, Prefetch: g.Templates()}, "/cds-services/fracturecds-patient-view", tt.body)
			if rec.Code != http.StatusPreconditionFailed {
				t.Fatalf("status %d, want 412: %s", rec.Code, rec.Body)
			}
			d := diagnostics(t, rec)
			t.Logf("412: %s", d)
			if !strings.Contains(d, tt.want) {
				t.Errorf("diagnostics %q do not say %q", d, tt.want)
			}
			if tt.name == "failed" && !strings.Contains(d, ": HTTP 503") {
				t.Errorf("diagnostics %q do not give the server's answer", d)
			}
			for _, k := range missingKeys {
				if !strings.Contains(d, k) {
					t.Errorf("diagnostics %q do not name the missing key %s", d, k)
				}
			}
			if strings.Contains(d, "patient,") || strings.Contains(d, "SECRET-TOKEN") {
				t.Errorf("diagnostics %q name the prefetched key patient or the token", d)
			}
			if got, _ := entry.ContextMap()["error"].(string); got != d {
				t.Errorf("log error %q, want the client's diagnostics %q", got, d)
			}
		})
	}
}
