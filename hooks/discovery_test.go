package hooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// recommendedParam is the CDS Hooks 2.0.1 recommended prefetch query subset
// (cds-hooks.md §D item 14) as fracturecds uses it: reference parameters
// (patient, subject), token parameters (code, status, category), dates,
// _count and _sort.
var recommendedParam = regexp.MustCompile(`^(patient|subject|code|status|category|date|_count|_sort)$`)

func TestDiscoveryListsOneServicePerHookWithSpecSubsetPrefetch(t *testing.T) {
	g := fhir.NewGatherer(fhir.Options{Terminology: fhir.DefaultTerminology()})
	h := NewHandler(Config{Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates()})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/cds-services", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	var d Discovery
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	var hooks []string
	for _, s := range d.Services {
		hooks = append(hooks, s.Hook)
		if s.ID == "" || s.Description == "" || s.Title == "" {
			t.Errorf("service %+v lacks id, title or description", s)
		}
		var keys []string
		for k, tmpl := range s.Prefetch {
			keys = append(keys, k)
			checkTemplate(t, k, tmpl)
		}
		want := []string{"conditions", "dxa", "labs", "medicationAdministrations", "medicationRequests", "medicationStatements", "patient", "serviceRequests"}
		if diff := cmp.Diff(want, sorted(keys)); diff != "" {
			t.Errorf("service %s prefetch keys (-want +got):\n%s", s.ID, diff)
		}
	}
	if diff := cmp.Diff([]string{"order-select", "order-sign", "patient-view"}, sorted(hooks)); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	if strings.Contains(rec.Body.String(), "null") || strings.Contains(rec.Body.String(), `""`) {
		t.Errorf("discovery contains null or empty strings: %s", rec.Body)
	}
}

// checkTemplate asserts a prefetch template is a read or a type search with
// only recommended-subset parameters and only spec tokens.
func checkTemplate(t *testing.T, key, tmpl string) {
	t.Helper()
	for _, tok := range regexp.MustCompile(`\{\{[^}]*\}\}`).FindAllString(tmpl, -1) {
		if tok != "{{context.patientId}}" {
			t.Errorf("%s: token %s is not allowed", key, tok)
		}
	}
	path, query, hasQuery := strings.Cut(tmpl, "?")
	if !hasQuery {
		if !regexp.MustCompile(`^[A-Z][A-Za-z]+/\{\{context\.patientId\}\}$`).MatchString(path) {
			t.Errorf("%s: read %q is not Type/{{context.patientId}}", key, path)
		}
		return
	}
	if !regexp.MustCompile(`^[A-Z][A-Za-z]+$`).MatchString(path) {
		t.Errorf("%s: search %q is not a type-level search", key, path)
	}
	vals, err := url.ParseQuery(strings.ReplaceAll(query, "{{context.patientId}}", "p1"))
	if err != nil {
		t.Errorf("%s: query does not parse: %v", key, err)
	}
	for p := range vals {
		if !recommendedParam.MatchString(p) {
			t.Errorf("%s: parameter %q is outside the recommended subset", key, p)
		}
	}
	if vals.Get("patient") != "p1" {
		t.Errorf("%s: search is not restricted to the patient", key)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
