package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/rules"
)

var testNow = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// seqUUID returns a deterministic UUID generator for goldens.
func seqUUID() func() string {
	var n atomic.Int64
	return func() string {
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1))
	}
}

func newTestHandler(t *testing.T, facts FactSource, logger *zap.Logger) http.Handler {
	t.Helper()
	if logger == nil {
		logger = zap.NewNop()
	}
	return NewHandler(Config{
		Logger:     logger,
		Facts:      facts,
		Thresholds: rules.DefaultThresholds(),
		Prefetch:   map[string]string{"patient": "Patient/{{context.patientId}}"},
		Now:        func() time.Time { return testNow },
		NewUUID:    seqUUID(),
	})
}

// pieterse is SEED-GP Casus 1 at T0 (rules.md S3a): 62-year-old woman with
// a wrist fracture 3 months ago, no DXA, inhaled budesonide only.
func pieterse() rules.Facts {
	return rules.Facts{
		AsOf:    testNow,
		Hook:    rules.PatientView,
		Patient: rules.Patient{ID: "pieterse", BirthDate: time.Date(1961, 6, 15, 0, 0, 0, 0, time.UTC), Gender: "female"},
		Conditions: []rules.Condition{{
			Source:   "Condition/s3-radius",
			Concepts: []rules.Concept{rules.ConceptFracture},
			Code:     "SNOMED CT 263199001",
			Onset:    time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC),
			Active:   true,
		}},
		Medications: []rules.MedicationRecord{{
			Source: "MedicationStatement/s3-budesonide", Kind: rules.KindStatement,
			Classes: []rules.DrugClass{rules.DrugGlucocorticoidLocal}, Code: "ATC R03BA02",
			Status: "active", Start: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), Route: "inhalation",
		}},
	}
}

func staticFacts(f rules.Facts) FactSource {
	return FactSourceFunc(func(_ context.Context, in fhir.Input) (fhir.Result, error) {
		f.AsOf = in.AsOf
		f.Hook = in.Hook
		return fhir.Result{Facts: f}, nil
	})
}

const validPatientView = `{
  "hook": "patient-view",
  "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
  "context": {"userId": "Practitioner/gp-1", "patientId": "pieterse"},
  "prefetch": {"patient": {"resourceType": "Patient", "id": "pieterse"}}
}`

func post(t *testing.T, h http.Handler, path, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRequestValidationAnswers400WithAShortExplanation(t *testing.T) {
	h := newTestHandler(t, staticFacts(pieterse()), nil)
	tests := []struct {
		name, path, body, wantMsg string
	}{
		{"malformed JSON", "/cds-services/fracturecds-patient-view", `{"hook": "patient-view",`, "not valid JSON"},
		{"not an object", "/cds-services/fracturecds-patient-view", `[1,2]`, "not valid JSON"},
		{"trailing data", "/cds-services/fracturecds-patient-view", validPatientView + `{}`, "after the JSON object"},
		{"missing hook", "/cds-services/fracturecds-patient-view", `{"hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p"}}`, "hook is required"},
		{"hook of another service", "/cds-services/fracturecds-patient-view", strings.Replace(validPatientView, `"hook": "patient-view"`, `"hook": "order-sign"`, 1), `hook must be "patient-view"`},
		{"missing hookInstance", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","context":{"userId":"Practitioner/1","patientId":"p"}}`, "hookInstance is required"},
		{"hookInstance not a UUID", "/cds-services/fracturecds-patient-view", strings.Replace(validPatientView, "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "abc", 1), "hookInstance must be a UUID"},
		{"missing context", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"}`, "context is required"},
		{"null context", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":null}`, "context is required"},
		{"empty context", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{}}`, "context.userId is required"},
		{"context not an object", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":"x"}`, "context must be an object"},
		{"userId without type", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"gp-1","patientId":"p"}}`, "context.userId must be ResourceType/id"},
		{"missing patientId", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1"}}`, "context.patientId is required"},
		{"patientId not a FHIR id", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"a b"}}`, "context.patientId must be a FHIR id"},
		{"fhirAuthorization without fhirServer", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","fhirAuthorization":{"access_token":"t","token_type":"Bearer","expires_in":300,"scope":"s","subject":"c"},"context":{"userId":"Practitioner/1","patientId":"p"}}`, "fhirServer is required"},
		{"fhirServer not a URL", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","fhirServer":"ftp://x","context":{"userId":"Practitioner/1","patientId":"p"}}`, "fhirServer must be an absolute http(s) URL"},
		{"token type not Bearer", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","fhirServer":"https://ehr.example/fhir","fhirAuthorization":{"access_token":"t","token_type":"MAC"},"context":{"userId":"Practitioner/1","patientId":"p"}}`, "token_type must be Bearer"},
		{"order-sign without draftOrders", "/cds-services/fracturecds-order-sign", `{"hook":"order-sign","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p"}}`, "context.draftOrders is required"},
		{"order-select without selections", "/cds-services/fracturecds-order-select", `{"hook":"order-select","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p","draftOrders":{"resourceType":"Bundle"}}}`, "context.selections is required"},
		{"order-select with a bad selection", "/cds-services/fracturecds-order-select", `{"hook":"order-select","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p","selections":["103"],"draftOrders":{"resourceType":"Bundle"}}}`, "selections must hold ResourceType/id"},
		{"prefetch not an object", "/cds-services/fracturecds-patient-view", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"Practitioner/1","patientId":"p"},"prefetch":[1]}`, "field prefetch has the wrong type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(t, h, tt.path, tt.body, nil)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body %s", rec.Code, rec.Body)
			}
			var oo outcome
			if err := json.Unmarshal(rec.Body.Bytes(), &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 {
				t.Fatalf("body is not a one-issue OperationOutcome: %s", rec.Body)
			}
			if !strings.Contains(oo.Issue[0].Diagnostics, tt.wantMsg) {
				t.Errorf("diagnostics %q does not contain %q", oo.Issue[0].Diagnostics, tt.wantMsg)
			}
		})
	}
}

func TestRequestsThatRealEHRsSendAreAccepted(t *testing.T) {
	h := newTestHandler(t, staticFacts(pieterse()), nil)
	tests := []struct{ name, body string }{
		{"patientId with Patient/ prefix", strings.Replace(validPatientView, `"patientId": "pieterse"`, `"patientId": "Patient/pieterse"`, 1)},
		{"unknown fields and extension", strings.Replace(validPatientView, `"hook":`, `"extension": {"com.example.x": {"a": [1, null]}}, "vendorField": 7, "hook":`, 1)},
		{"urn:uuid hookInstance", strings.Replace(validPatientView, `"d1577c69`, `"urn:uuid:d1577c69`, 1)},
		{"fhir+json content type is fine", validPatientView},
		{"no prefetch at all", `{"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","context":{"userId":"PractitionerRole/r1","patientId":"p","encounterId":"e1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(t, h, "/cds-services/fracturecds-patient-view", tt.body, map[string]string{"Content-Type": "application/fhir+json; charset=utf-8"})
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200; body %s", rec.Code, rec.Body)
			}
			if p := hookstest.Problems(rec.Body.Bytes()); len(p) > 0 {
				t.Errorf("spec problems: %v", p)
			}
		})
	}
}

func TestErrorStatuses(t *testing.T) {
	failing := func(err error) FactSource {
		return FactSourceFunc(func(context.Context, fhir.Input) (fhir.Result, error) { return fhir.Result{}, err })
	}
	panicking := FactSourceFunc(func(context.Context, fhir.Input) (fhir.Result, error) { panic("boom at /secret/path.go:12") })
	tests := []struct {
		name       string
		facts      FactSource
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"unknown service", staticFacts(pieterse()), http.MethodPost, "/cds-services/nope", nil, validPatientView, 404, "not-found"},
		{"unknown path", staticFacts(pieterse()), http.MethodGet, "/nope", nil, "", 404, "not-found"},
		{"GET on a service", staticFacts(pieterse()), http.MethodGet, "/cds-services/fracturecds-patient-view", nil, "", 405, "not-supported"},
		{"POST on discovery", staticFacts(pieterse()), http.MethodPost, "/cds-services", nil, "{}", 405, "not-supported"},
		{"text/plain body", staticFacts(pieterse()), http.MethodPost, "/cds-services/fracturecds-patient-view", map[string]string{"Content-Type": "text/plain"}, validPatientView, 415, "invalid"},
		{"body over the limit", staticFacts(pieterse()), http.MethodPost, "/cds-services/fracturecds-patient-view", nil, `{"x":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "invalid"},
		{"data unavailable", failing(fmt.Errorf("key labs: FHIR server answered 503: %w", fhir.ErrDataUnavailable)), http.MethodPost, "/cds-services/fracturecds-patient-view", nil, validPatientView, 412, "incomplete"},
		{"invalid FHIR input", failing(fmt.Errorf("prefetch key patient holds an Observation: %w", fhir.ErrInvalidInput)), http.MethodPost, "/cds-services/fracturecds-patient-view", nil, validPatientView, 400, "invalid"},
		{"unexpected error", failing(errors.New("database password=hunter2 exploded")), http.MethodPost, "/cds-services/fracturecds-patient-view", nil, validPatientView, 500, "exception"},
		{"panic", panicking, http.MethodPost, "/cds-services/fracturecds-patient-view", nil, validPatientView, 500, "exception"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(Config{Facts: tt.facts, Thresholds: rules.DefaultThresholds(), MaxBodyBytes: 1 << 20, Now: func() time.Time { return testNow }})
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			var oo outcome
			if err := json.Unmarshal(rec.Body.Bytes(), &oo); err != nil || len(oo.Issue) != 1 {
				t.Fatalf("body is not an OperationOutcome: %s", rec.Body)
			}
			if oo.Issue[0].Code != tt.wantCode {
				t.Errorf("issue code = %q, want %q", oo.Issue[0].Code, tt.wantCode)
			}
			for _, leak := range []string{"hunter2", "secret", "goroutine", ".go:"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Errorf("body leaks %q: %s", leak, rec.Body)
				}
			}
		})
	}
}

func TestOneLogLinePerRequestWithoutPatientDataOrTokens(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := newTestHandler(t, staticFacts(pieterse()), zap.New(core))
	body := strings.Replace(validPatientView, `"context"`, `"fhirServer":"https://ehr.example/fhir","fhirAuthorization":{"access_token":"SECRET-TOKEN-123","token_type":"Bearer","expires_in":300,"scope":"user/*.read","subject":"cds"},"context"`, 1)
	body = strings.Replace(body, `"id": "pieterse"}`, `"id": "pieterse", "name": [{"family": "Pieterse-Secret"}], "birthDate": "1961-06-15"}`, 1)
	rec := post(t, h, "/cds-services/fracturecds-patient-view", body, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	entries := logs.All()
	if len(entries) != 1 {
		t.Fatalf("got %d log lines, want 1", len(entries))
	}
	fields := entries[0].ContextMap()
	want := map[string]any{
		"service":      "fracturecds-patient-view",
		"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"status":       int64(200),
	}
	for k, v := range want {
		if diff := cmp.Diff(v, fields[k]); diff != "" {
			t.Errorf("field %s (-want +got):\n%s", k, diff)
		}
	}
	if _, ok := fields["duration"]; !ok {
		t.Error("no duration field")
	}
	topics, _ := fields["topics"].([]any)
	if len(topics) == 0 || topics[0] != "fracture-case-finding" {
		t.Errorf("topics = %v, want fracture-case-finding first", fields["topics"])
	}
	line := fmt.Sprintf("%v %v", entries[0].Message, fields)
	for _, secret := range []string{"SECRET-TOKEN-123", "Pieterse-Secret", "1961-06-15", "pieterse\"", "ehr.example"} {
		if strings.Contains(line, secret) {
			t.Errorf("log line contains %q: %s", secret, line)
		}
	}
}

func TestAcceptLanguageChoosesDutchOrEnglish(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "nl"},
		{"en", "en"},
		{"en-GB,en;q=0.9", "en"},
		{"de-DE, en;q=0.5, nl;q=0.8", "nl"},
		{"fr", "nl"},
		{"nl;q=0, en", "en"},
		{"*", "nl"},
	}
	for _, tt := range tests {
		if got := negotiateLanguage(tt.header, "nl"); got != tt.want {
			t.Errorf("negotiateLanguage(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
	h := newTestHandler(t, staticFacts(pieterse()), nil)
	rec := post(t, h, "/cds-services/fracturecds-patient-view", validPatientView, map[string]string{"Accept-Language": "en-US"})
	var resp Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Cards) == 0 {
		t.Fatalf("no cards: %s", rec.Body)
	}
	if !strings.Contains(resp.Cards[0].Summary, "Fracture at") || rec.Header().Get("Content-Language") != "en" {
		t.Errorf("English summary expected, got %q (Content-Language %q)", resp.Cards[0].Summary, rec.Header().Get("Content-Language"))
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var ready atomic.Bool
	h := NewHandler(Config{Facts: staticFacts(pieterse()), Thresholds: rules.DefaultThresholds(), Ready: &ready})
	get := func(path string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code
	}
	if got := get("/healthz"); got != 200 {
		t.Errorf("/healthz = %d, want 200", got)
	}
	if got := get("/readyz"); got != 503 {
		t.Errorf("/readyz before ready = %d, want 503", got)
	}
	ready.Store(true)
	if got := get("/readyz"); got != 200 {
		t.Errorf("/readyz when ready = %d, want 200", got)
	}
}

func TestMarkdownEscapingKeepsRequestTextInert(t *testing.T) {
	got := escapeMarkdown(`<img src=x onerror=alert(1)> **bold** [link](javascript:x) | >60`)
	for _, bad := range []string{"<", ">", "**bold**", "[link](", " | "} {
		if strings.Contains(got, bad) {
			t.Errorf("escaped text still contains %q: %s", bad, got)
		}
	}
}

// Card and suggestion uuids are version 7 and increase with every call,
// so the card log's index grows at one end (newCardUUID).
func TestCardUUIDsAreTimeOrderedVersion7(t *testing.T) {
	prev := ""
	for range 5000 {
		s := newCardUUID()
		id, err := uuid.Parse(s)
		if err != nil || id.Version() != 7 || id.Variant() != uuid.RFC4122 {
			t.Fatalf("%q: version %d, variant %v, err %v", s, id.Version(), id.Variant(), err)
		}
		if s <= prev {
			t.Fatalf("%q follows %q: not increasing", s, prev)
		}
		prev = s
	}
}
