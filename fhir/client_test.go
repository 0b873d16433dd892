package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/rules"
)

const (
	testPatient = "p1"
	testToken   = "s3cret-token-value"
)

// readTestdata returns fhir/testdata/client/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "client", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeFHIR is an in-process FHIR server. It answers each key's query with
// that key's pages (page 1 at the query, later pages under /fhir/_page),
// requires the bearer token, and can be made slow or failing per key.
type fakeFHIR struct {
	t   testing.TB
	srv *httptest.Server
	// dxaCode and labsCode tell the two Observation searches apart.
	dxaCode, labsCode string

	mu     sync.Mutex
	pages  map[string][]string // key -> page bodies; "__NEXT__" is replaced by the next page URL
	delay  map[string]time.Duration
	status map[string]int
	hits   map[string]int
}

// newFakeFHIR starts a server holding the testdata file of every key.
func newFakeFHIR(t testing.TB, g *Gatherer) *fakeFHIR {
	t.Helper()
	f := &fakeFHIR{
		t:      t,
		pages:  map[string][]string{},
		delay:  map[string]time.Duration{},
		status: map[string]int{},
		hits:   map[string]int{},
	}
	tpl := g.Templates()
	f.dxaCode = codeParam(t, tpl[KeyDXA])
	f.labsCode = codeParam(t, tpl[KeyLabs])
	for _, key := range prefetchKeys {
		f.pages[key] = []string{string(readTestdata(t, key+".json"))}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// codeParam returns the code parameter of a filled template.
func codeParam(t testing.TB, template string) string {
	t.Helper()
	u, err := url.Parse(fillTemplate(template, testPatient))
	if err != nil {
		t.Fatalf("template %q: %v", template, err)
	}
	return u.Query().Get("code")
}

// base is the fhirServer URL.
func (f *fakeFHIR) base() string { return f.srv.URL + "/fhir" }

// set replaces a key's pages.
func (f *fakeFHIR) set(key string, pages ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pages[key] = pages
}

// hitsFor returns how many requests reached key.
func (f *fakeFHIR) hitsFor(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[key]
}

// keyOf maps a request to the prefetch key it serves and a page index.
func (f *fakeFHIR) keyOf(r *http.Request) (key string, page int) {
	q := r.URL.Query()
	switch p := strings.TrimPrefix(r.URL.Path, "/fhir/"); {
	case p == "_page":
		n, _ := strconv.Atoi(q.Get("n"))
		return q.Get("key"), n
	case p == "Patient/"+testPatient:
		return KeyPatient, 0
	case p == "Condition":
		return KeyConditions, 0
	case p == "Observation" && q.Get("code") == f.dxaCode:
		return KeyDXA, 0
	case p == "Observation" && q.Get("code") == f.labsCode:
		return KeyLabs, 0
	case p == "MedicationStatement":
		return KeyMedicationStatements, 0
	case p == "MedicationRequest":
		return KeyMedicationRequests, 0
	case p == "MedicationAdministration":
		return KeyMedicationAdministrations, 0
	case p == "ServiceRequest":
		return KeyServiceRequests, 0
	}
	return "", 0
}

func (f *fakeFHIR) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write(readTestdata(f.t, "operation-outcome.json"))
		return
	}
	if r.Header.Get("Accept") != "application/fhir+json" {
		http.Error(w, "want Accept: application/fhir+json", http.StatusNotAcceptable)
		return
	}
	if r.URL.Path != "/fhir/_page" && r.URL.Query().Get("patient") != testPatient && !strings.HasPrefix(r.URL.Path, "/fhir/Patient/") {
		http.Error(w, "search without patient", http.StatusBadRequest)
		return
	}
	key, page := f.keyOf(r)
	f.mu.Lock()
	f.hits[key]++
	pages, delay, status := f.pages[key], f.delay[key], f.status[key]
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if key == "" || page >= len(pages) {
		http.NotFound(w, r)
		return
	}
	next := ""
	if page+1 < len(pages) {
		next = f.srv.URL + "/fhir/_page?key=" + key + "&n=" + strconv.Itoa(page+1)
	}
	nextJSON, _ := json.Marshal(next)
	w.Header().Set("Content-Type", "application/fhir+json")
	w.Write([]byte(strings.ReplaceAll(pages[page], `"__NEXT__"`, string(nextJSON))))
}

// page builds a searchset Bundle page with an optional next link.
func page(next string, entries ...string) string {
	links := "[]"
	if next != "" {
		links = `[{"relation":"self","url":"ignored"},{"relation":"next","url":"` + next + `"}]`
	}
	return `{"resourceType":"Bundle","type":"searchset","link":` + links + `,"entry":[` + strings.Join(entries, ",") + `]}`
}

// observationEntry is a minimal Observation entry for patient p1.
func observationEntry(id string) string {
	return `{"resource":{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"62238-1"}]},"subject":{"reference":"Patient/p1"}}}`
}

// nullPrefetch returns a prefetch with every key null except those given.
func nullPrefetch(except ...string) map[string]json.RawMessage {
	p := map[string]json.RawMessage{}
	for _, k := range prefetchKeys {
		if !slices.Contains(except, k) {
			p[k] = json.RawMessage("null")
		}
	}
	return p
}

// summary flattens resources into comparable strings.
type summary struct {
	Patient                   string
	Observations              []string
	Conditions                []string
	MedicationStatements      []string
	MedicationRequests        []string
	MedicationAdministrations []string
	ServiceRequests           []string
	Medications               []string
	DraftMedicationRequests   []string
	DraftServiceRequests      []string
	Raw                       []string
	Selections                []string
	Gaps                      []rules.Gap
}

// Short names for the summary helpers.
type (
	obs   = *observation
	cond  = *condition
	mstmt = *medicationStatement
	mreq  = *medicationRequest
	madm  = *medicationAdministration
	sreq  = *serviceRequest
)

func ids[T any](xs []T, id func(T) *string) []string {
	var out []string
	for _, x := range xs {
		if p := id(x); p != nil {
			out = append(out, *p)
		} else {
			out = append(out, "")
		}
	}
	return out
}

func summarize(r *resources) summary {
	s := summary{
		Observations:              ids(r.observations, func(x obs) *string { return &x.ID }),
		Conditions:                ids(r.conditions, func(x cond) *string { return &x.ID }),
		MedicationStatements:      ids(r.medicationStatements, func(x mstmt) *string { return &x.ID }),
		MedicationRequests:        ids(r.medicationRequests, func(x mreq) *string { return &x.ID }),
		MedicationAdministrations: ids(r.medicationAdministrations, func(x madm) *string { return &x.ID }),
		ServiceRequests:           ids(r.serviceRequests, func(x sreq) *string { return &x.ID }),
		DraftMedicationRequests:   ids(r.draftMedicationRequests, func(x mreq) *string { return &x.ID }),
		DraftServiceRequests:      ids(r.draftServiceRequests, func(x sreq) *string { return &x.ID }),
		Selections:                r.selections,
		Gaps:                      r.gaps,
	}
	if r.patient != nil && r.patient.ID != nil {
		s.Patient = *r.patient.ID
	}
	for k := range r.medications {
		s.Medications = append(s.Medications, k)
	}
	for k := range r.raw {
		s.Raw = append(s.Raw, string(k))
	}
	sort.Strings(s.Medications)
	sort.Strings(s.Raw)
	return s
}

// fullSummary is what the testdata of every key decodes to.
var fullSummary = summary{
	Patient:                   "p1",
	Observations:              []string{"dxa-1", "egfr-1"},
	Conditions:                []string{"c-1"},
	MedicationStatements:      []string{"ms-1"},
	MedicationRequests:        []string{"mr-1"},
	MedicationAdministrations: []string{"ma-1"},
	ServiceRequests:           []string{"sr-1"},
	Medications:               []string{"Medication/med-1"},
	Raw:                       []string{"MedicationRequest/mr-1"},
}

// keySummary is what the testdata of one key decodes to on its own.
func keySummary(key string) summary {
	f := fullSummary
	switch key {
	case KeyPatient:
		return summary{Patient: f.Patient}
	case KeyConditions:
		return summary{Conditions: f.Conditions}
	case KeyDXA:
		return summary{Observations: []string{"dxa-1"}}
	case KeyLabs:
		return summary{Observations: []string{"egfr-1"}}
	case KeyMedicationStatements:
		return summary{MedicationStatements: f.MedicationStatements, Medications: f.Medications}
	case KeyMedicationRequests:
		return summary{MedicationRequests: f.MedicationRequests, Raw: f.Raw}
	case KeyMedicationAdministrations:
		return summary{MedicationAdministrations: f.MedicationAdministrations}
	case KeyServiceRequests:
		return summary{ServiceRequests: f.ServiceRequests}
	}
	return summary{}
}

// input is a patient-view request for p1 with FHIR access to f.
func (f *fakeFHIR) input(prefetch map[string]json.RawMessage) Input {
	return Input{
		Hook:        rules.PatientView,
		PatientID:   testPatient,
		FHIRServer:  f.base(),
		AccessToken: testToken,
		Prefetch:    prefetch,
	}
}

func TestFetchAllKeysAbsentFallsBackToServer(t *testing.T) {
	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	res, err := g.gather(context.Background(), f.input(nil))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if diff := cmp.Diff(fullSummary, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	for _, key := range prefetchKeys {
		if got := f.hitsFor(key); got != 1 {
			t.Errorf("key %s: %d requests, want 1", key, got)
		}
	}
}

func TestFetchPartialPrefetchFetchesOnlyMissingKeys(t *testing.T) {
	// cqf-ruler #536: one prefetched key must not make the service treat
	// the prefetch as complete.
	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	prefetch := map[string]json.RawMessage{
		KeyPatient:    readTestdata(t, "patient.json"),
		KeyConditions: readTestdata(t, "conditions.json"),
		KeyDXA:        json.RawMessage("null"),
	}
	res, err := g.gather(context.Background(), f.input(prefetch))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	want := fullSummary
	want.Observations = []string{"egfr-1"} // dxa is known empty
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	wantHits := map[string]int{KeyPatient: 0, KeyConditions: 0, KeyDXA: 0, KeyLabs: 1,
		KeyMedicationStatements: 1, KeyMedicationRequests: 1, KeyMedicationAdministrations: 1, KeyServiceRequests: 1}
	gotHits := map[string]int{}
	for _, key := range prefetchKeys {
		gotHits[key] = f.hitsFor(key)
	}
	if diff := cmp.Diff(wantHits, gotHits); diff != "" {
		t.Errorf("requests per key (-want +got):\n%s", diff)
	}
}

func TestFetchFollowsNextLinksAcrossThreePages(t *testing.T) {
	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	f.set(KeyLabs,
		page("__NEXT__", observationEntry("lab-1")),
		page("__NEXT__", observationEntry("lab-2")),
		page("", observationEntry("lab-3"), observationEntry("lab-1")), // lab-1 again: kept once
	)
	res, err := g.gather(context.Background(), f.input(nullPrefetch(KeyLabs)))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if diff := cmp.Diff(summary{Observations: []string{"lab-1", "lab-2", "lab-3"}}, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	if got := f.hitsFor(KeyLabs); got != 3 {
		t.Errorf("labs requests = %d, want 3", got)
	}
}

func TestFetchStopsAtMaxPagesWithGap(t *testing.T) {
	g := NewGatherer(Options{MaxPages: 2})
	f := newFakeFHIR(t, g)
	f.set(KeyLabs,
		page("__NEXT__", observationEntry("lab-1")),
		page("__NEXT__", observationEntry("lab-2")),
		page("", observationEntry("lab-3")),
	)
	res, err := g.gather(context.Background(), f.input(nullPrefetch(KeyLabs)))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	want := summary{Observations: []string{"lab-1", "lab-2"}, Gaps: []rules.Gap{incomplete(KeyLabs)}}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

func TestFetchNextLinkToOtherHostIsNotFollowed(t *testing.T) {
	var (
		mu        sync.Mutex
		otherHits int
		sawToken  bool
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		otherHits++
		sawToken = sawToken || strings.Contains(r.Header.Get("Authorization"), testToken)
		w.Write([]byte(page("", observationEntry("stolen"))))
	}))
	defer other.Close()

	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	f.set(KeyLabs, page(other.URL+"/fhir/Observation?page=2", observationEntry("lab-1")))
	// A prefetched Bundle whose next link leaves fhirServer is not
	// followed either.
	prefetch := nullPrefetch(KeyLabs, KeyConditions)
	prefetch[KeyConditions] = json.RawMessage(page(other.URL + "/fhir/Condition?page=2"))

	res, err := g.gather(context.Background(), f.input(prefetch))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	want := summary{
		Observations: []string{"lab-1"},
		Gaps:         []rules.Gap{incomplete(KeyConditions), incomplete(KeyLabs)},
	}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if otherHits != 0 || sawToken {
		t.Errorf("other host got %d requests (token seen: %v), want none", otherHits, sawToken)
	}
}

func TestFetchSameHostOutsideBasePathIsNotFollowed(t *testing.T) {
	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	f.set(KeyLabs, page(f.srv.URL+"/fhir/../admin/Observation", observationEntry("lab-1")))
	res, err := g.gather(context.Background(), f.input(nullPrefetch(KeyLabs)))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	want := summary{Observations: []string{"lab-1"}, Gaps: []rules.Gap{incomplete(KeyLabs)}}
	if diff := cmp.Diff(want, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

func TestFetchFailuresAreDataUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		setup   func(f *fakeFHIR)
		token   string
		wantMsg string
	}{
		{name: "wrong token gets 401", token: "other-token", wantMsg: "HTTP 401"},
		{name: "404 on conditions", setup: func(f *fakeFHIR) { f.status[KeyConditions] = http.StatusNotFound }, wantMsg: "HTTP 404"},
		{name: "410 on patient", setup: func(f *fakeFHIR) { f.status[KeyPatient] = http.StatusGone }, wantMsg: "HTTP 410"},
		{name: "500 on labs", setup: func(f *fakeFHIR) { f.status[KeyLabs] = http.StatusInternalServerError }, wantMsg: "HTTP 500"},
		{name: "redirect is not followed", setup: func(f *fakeFHIR) { f.status[KeyLabs] = http.StatusFound }, wantMsg: "HTTP 302"},
		{
			name:    "slow server beyond budget",
			opts:    Options{Budget: 100 * time.Millisecond},
			setup:   func(f *fakeFHIR) { f.delay[KeyServiceRequests] = 5 * time.Second },
			wantMsg: "timeout",
		},
		{
			name: "oversized response",
			opts: Options{MaxResponseBytes: 1024},
			setup: func(f *fakeFHIR) {
				f.pages[KeyLabs] = []string{page("", slices.Repeat([]string{observationEntry("x")}, 20)...)}
			},
			wantMsg: "larger than 1024 bytes",
		},
		{
			name: "OperationOutcome body with 200",
			setup: func(f *fakeFHIR) {
				f.pages[KeyConditions] = []string{string(readTestdata(f.t, "operation-outcome.json"))}
			},
			wantMsg: "OperationOutcome",
		},
		{name: "bad JSON", setup: func(f *fakeFHIR) { f.pages[KeyDXA] = []string{`{"resourceType":`} }, wantMsg: "bad JSON"},
		{
			name:    "server disallowed",
			opts:    Options{AllowServer: func(string) bool { return false }},
			wantMsg: "not allowed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := NewGatherer(tc.opts)
			f := newFakeFHIR(t, g)
			if tc.setup != nil {
				tc.setup(f)
			}
			in := f.input(nil)
			if tc.token != "" {
				in.AccessToken = tc.token
			}
			_, err := g.gather(context.Background(), in)
			if !errors.Is(err, ErrDataUnavailable) {
				t.Fatalf("error = %v, want ErrDataUnavailable", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
			for _, secret := range []string{in.AccessToken, f.srv.URL} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks %q", err, secret)
				}
			}
		})
	}
}

func TestFetchRunsKeysInParallel(t *testing.T) {
	// Eight keys of 150 ms each fit a 600 ms budget only when fetched
	// concurrently (one after another they need 1.2 s).
	g := NewGatherer(Options{Budget: 600 * time.Millisecond})
	f := newFakeFHIR(t, g)
	for _, key := range prefetchKeys {
		f.delay[key] = 150 * time.Millisecond
	}
	res, err := g.gather(context.Background(), f.input(nil))
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if diff := cmp.Diff(fullSummary, summarize(res)); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
}

// Another patient's data from the EHR's server is never used; the request
// itself was right, so it is the data that is unavailable (412).
func TestFetchServerReturningOtherPatientIsDataUnavailable(t *testing.T) {
	g := NewGatherer(Options{})
	f := newFakeFHIR(t, g)
	f.set(KeyConditions, string(readTestdata(t, "conditions-wrong-patient.json")))
	_, err := g.gather(context.Background(), f.input(nil))
	if !errors.Is(err, ErrDataUnavailable) || errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "another patient") {
		t.Fatalf("error = %v, want ErrDataUnavailable naming another patient", err)
	}
}

func TestFetchWithoutAccessIsDataUnavailable(t *testing.T) {
	tests := []struct {
		name       string
		server     string
		token      string
		prefetched map[string]json.RawMessage
		wantMsg    string
	}{
		{name: "no server and no token", wantMsg: "no prefetch and no FHIR server access for key labs"},
		{name: "server without token", server: "https://ehr.example/fhir", wantMsg: "no prefetch and no FHIR server access for key labs"},
		{name: "token without server", token: testToken, wantMsg: "no prefetch and no FHIR server access for key labs"},
		{name: "server that is not a URL", server: "ehr.example/fhir", token: testToken, wantMsg: "not a usable"},
		{
			name:       "OperationOutcome in prefetch and no server",
			prefetched: map[string]json.RawMessage{KeyLabs: readTestdata(t, "operation-outcome.json")},
			wantMsg:    "key labs (prefetch held an OperationOutcome)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefetch := nullPrefetch(KeyLabs)
			for k, v := range tc.prefetched {
				prefetch[k] = v
			}
			in := Input{PatientID: testPatient, FHIRServer: tc.server, AccessToken: tc.token, Prefetch: prefetch}
			_, err := NewGatherer(Options{}).gather(context.Background(), in)
			if !errors.Is(err, ErrDataUnavailable) {
				t.Fatalf("error = %v, want ErrDataUnavailable", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

func TestOnServer(t *testing.T) {
	f := &fetcher{base: mustURL(t, "https://ehr.example/fhir")}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://ehr.example/fhir/Observation?page=2", true},
		{"https://EHR.example/fhir/Observation", true},
		{"http://ehr.example/fhir/Observation", false},
		{"https://ehr.example:8443/fhir/Observation", false},
		{"https://evil.example/fhir/Observation", false},
		{"https://ehr.example.evil.example/fhir/Observation", false},
		{"https://user@ehr.example/fhir/Observation", false},
		{"https://ehr.example/fhirx/Observation", false},
		{"https://ehr.example/fhir/../admin", false},
		{"https://ehr.example/other", false},
	}
	for _, tc := range tests {
		if got := f.onServer(mustURL(t, tc.url)); got != tc.want {
			t.Errorf("onServer(%s) = %v, want %v", tc.url, got, tc.want)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
