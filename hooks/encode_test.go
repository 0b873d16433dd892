package hooks

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/rules"
)

// Responses are encoded with goccy/go-json for speed; the bytes must be
// exactly those encoding/json writes (HTML-safe escapes, U+2028/U+2029,
// invalid UTF-8, compacted raw resources), or EHR parsers and the golden
// files would see a different service.
func TestResponseEncodingMatchesEncodingJSON(t *testing.T) {
	raw := json.RawMessage("{ \"resourceType\" : \"MedicationRequest\",\n \"id\": \"mr-1\", \"note\": [{\"text\": \"<b>&amp;\u2028\"}] }")
	tricky := Response{Cards: []Card{{
		UUID:      "0b1e",
		Summary:   "<script>alert(1)</script> & \u2028\u2029 \xff\xfe é 🦴",
		Detail:    "line\nbreak\ttab \"quoted\" \\ back \u0000 nul \u007f",
		Indicator: "warning",
		Source:    Source{Label: "fracturecds", URL: "https://example.org/?a=1&b=<2>"},
		Suggestions: []Suggestion{{Label: "x", UUID: "u", IsRecommended: true,
			Actions: []Action{{Type: "update", Description: "d", Resource: raw}}}},
		SelectionBehavior: "at-most-one",
	}}}
	responses := map[string]Response{"tricky": tricky, "empty": {Cards: []Card{}}}

	// Every seed case through the real handler.
	g := fhir.NewGatherer(fhir.Options{})
	h := NewHandler(Config{Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates()})
	for _, c := range fhirtest.LoadCases(t) {
		body, err := os.ReadFile(filepath.Join(fhirtest.RepoRoot(t), "testdata", "seeds", c.File))
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"nl", "en"} {
			req := httptest.NewRequest(http.MethodPost, "/cds-services/"+c.Service, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept-Language", lang)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", c.ID, rec.Code, rec.Body)
			}
			var r Response
			if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatal(err)
			}
			responses[c.ID+"-"+lang] = r
		}
	}
	if len(responses) < 10 {
		t.Fatalf("only %d responses compared", len(responses))
	}
	for name, r := range responses {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := gojson.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: goccy/go-json wrote\n%s\nencoding/json writes\n%s", name, got, want)
		}
	}
}
