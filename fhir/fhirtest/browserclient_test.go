package fhirtest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMedplumServesBrowserClients checks what a browser EHR such as the CDS
// Hooks Sandbox needs from the test FHIR server: a CapabilityStatement at
// GET /metadata (without a token, as FHIR and SMART expect), CORS headers
// on every answer (errors included, so that the page can read them) and
// answered preflights; the token still guards the data.
func TestMedplumServesBrowserClients(t *testing.T) {
	base, token := StartMedplum(t)
	const origin = "http://127.0.0.1:40123"
	client := &http.Client{Timeout: 30 * time.Second}
	do := func(method, path, bearer string, header map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("%s %s: Access-Control-Allow-Origin = %q, want %q", method, path, got, origin)
		}
		return resp, body
	}

	resp, body := do(http.MethodGet, "/metadata", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metadata without a token: %d %s", resp.StatusCode, body)
	}
	var cs struct {
		ResourceType string   `json:"resourceType"`
		FHIRVersion  string   `json:"fhirVersion"`
		Kind         string   `json:"kind"`
		Format       []string `json:"format"`
		Rest         []struct {
			Mode     string `json:"mode"`
			Resource []struct {
				Type        string `json:"type"`
				Interaction []struct {
					Code string `json:"code"`
				} `json:"interaction"`
				SearchParam []struct {
					Name string `json:"name"`
					Type string `json:"type"`
				} `json:"searchParam"`
			} `json:"resource"`
		} `json:"rest"`
	}
	if err := json.Unmarshal(body, &cs); err != nil {
		t.Fatal(err)
	}
	if cs.ResourceType != "CapabilityStatement" || cs.FHIRVersion != "4.0.1" || cs.Kind != "instance" ||
		!slices.Contains(cs.Format, "application/fhir+json") || len(cs.Rest) != 1 || cs.Rest[0].Mode != "server" {
		t.Fatalf("not an R4 server CapabilityStatement: %.300s", body)
	}
	// Every resource type and search parameter of the service's prefetch
	// templates must be declared.
	want := map[string][]string{
		"Patient":                  {"_id"},
		"Condition":                {"patient"},
		"Observation":              {"patient", "code"},
		"MedicationStatement":      {"patient"},
		"MedicationRequest":        {"patient"},
		"MedicationAdministration": {"patient"},
		"ServiceRequest":           {"patient"},
	}
	for _, r := range cs.Rest[0].Resource {
		params, ok := want[r.Type]
		if !ok {
			continue
		}
		delete(want, r.Type)
		var codes []string
		for _, in := range r.Interaction {
			codes = append(codes, in.Code)
		}
		for _, c := range []string{"read", "search-type", "update"} {
			if !slices.Contains(codes, c) {
				t.Errorf("%s: interaction %s not declared (%v)", r.Type, c, codes)
			}
		}
		for _, p := range params {
			if !slices.ContainsFunc(r.SearchParam, func(sp struct {
				Name string `json:"name"`
				Type string `json:"type"`
			}) bool {
				return sp.Name == p && sp.Type != ""
			}) {
				t.Errorf("%s: search parameter %s not declared", r.Type, p)
			}
		}
	}
	for missing := range want {
		t.Errorf("resource type %s not in the CapabilityStatement", missing)
	}

	// The preflight a page sends before a search with a bearer token.
	resp, _ = do(http.MethodOptions, "/Observation", "", map[string]string{
		"Access-Control-Request-Method":  "GET",
		"Access-Control-Request-Headers": "authorization,accept",
	})
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("preflight: status %d, want 204", resp.StatusCode)
	}
	if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "GET") || !strings.Contains(m, "PUT") {
		t.Errorf("preflight: Access-Control-Allow-Methods = %q", m)
	}
	if h := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "authorization") {
		t.Errorf("preflight: Access-Control-Allow-Headers = %q, want authorization allowed", h)
	}

	// The data stays behind the token, and the refusal is readable by the page.
	if resp, body := do(http.MethodGet, "/Patient", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /Patient without a token: %d %s, want 401", resp.StatusCode, body)
	}
	if resp, body := do(http.MethodGet, "/Patient", token, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /Patient with the token: %d %s", resp.StatusCode, body)
	}
}
