package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest/browser"
)

// sandboxSummary selects the summary of each card the sandbox shows: the
// first paragraph of a decision card (its CSS class names are generated).
const sandboxSummary = `[class*="decision-card"] .MuiCardContent-root > p:first-child`

// TestCardsInTheCDSHooksSandbox follows the README's sandbox recipe with
// the HL7 reference EHR simulator (../shared/tools/cds-hooks-sandbox,
// served on loopback instead of sandbox.cds-hooks.org): the service runs
// with examples/sandbox.yaml (plus the local sandbox's origin), the
// sandbox fills the prefetch from a FHIR server holding the example
// patient, calls patient-view, and shows the cards the service answers.
func TestCardsInTheCDSHooksSandbox(t *testing.T) {
	build := filepath.Join(fhirtest.RepoRoot(t), "..", "shared", "tools", "cds-hooks-sandbox", "build")
	if _, err := os.Stat(filepath.Join(build, "index.html")); err != nil {
		if os.Getenv(browser.RequireEnv) == "1" {
			t.Fatalf("the CDS Hooks Sandbox is not at %s: %v", build, err)
		}
		t.Skip("no CDS Hooks Sandbox beside the repository")
	}
	ctx := browser.New(t, 2*time.Minute)
	sandbox := httptest.NewServer(http.FileServer(http.Dir(build)))
	defer sandbox.Close()

	example := filepath.Join("..", "..", "examples", "patient-view.json")
	body, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	const token = "sandbox-test-token"
	records := fakeFHIRServer(t, body, token)
	fhirServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An open FHIR server, as the sandbox expects: CORS for its page,
		// a CapabilityStatement, and the example patient's records.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Headers", "*")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if strings.Trim(r.URL.Path, "/") == "metadata" {
			w.Header().Set("Content-Type", "application/fhir+json")
			_, _ = w.Write([]byte(`{"resourceType":"CapabilityStatement","status":"active","date":"2026-01-01","kind":"instance","fhirVersion":"4.0.1","format":["json"],"rest":[{"mode":"server"}]}`))
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_search") {
			// The sandbox's FHIR client searches with POST …/_search and
			// the parameters in a form body: the same search as a GET.
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.URL.Path = strings.TrimSuffix(r.URL.Path, "/_search")
			r.URL.RawQuery = r.Form.Encode()
			r.Method = http.MethodGet
		}
		r.Header.Set("Authorization", "Bearer "+token)
		records.ServeHTTP(w, r)
	}))
	defer fhirServer.Close()

	recipe, err := os.ReadFile(filepath.Join("..", "..", "examples", "sandbox.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "sandbox.yaml")
	local := strings.Replace(string(recipe), "[https://sandbox.cds-hooks.org]", "[https://sandbox.cds-hooks.org, "+sandbox.URL+"]", 1)
	if local == string(recipe) {
		t.Fatal("examples/sandbox.yaml no longer allows https://sandbox.cds-hooks.org as this test expects")
	}
	if err := os.WriteFile(config, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startServer(t, []string{"--config", config, "--addr", addr, "--admin-addr", "off"}, envWith(map[string]string{"FRACTURECDS_DATA_DIR": t.TempDir()}))

	page := sandbox.URL + "/index.html?fhirServiceUrl=" + fhirServer.URL + "&serviceDiscoveryURL=http://" + addr + "/cds-services&patientId=example-vertebral&screen=patient-view"
	var summaries []string
	if err := chromedp.Run(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = chromedp.Run(wctx,
		chromedp.WaitVisible(sandboxSummary, chromedp.ByQuery),
		chromedp.Sleep(500*time.Millisecond), // all cards of the one response
		chromedp.Evaluate(`Array.from(document.querySelectorAll('`+sandboxSummary+`')).map(e => e.innerText.trim())`, &summaries),
	)
	shot(ctx, t, "sandbox-example-patient-view.png")
	if err != nil {
		t.Fatal(err)
	}
	// examples/sandbox.yaml keeps the configured language (Dutch), whatever
	// the browser's Accept-Language says.
	want, _ := serviceCards(t, example, time.Now(), "nl")
	if diff := cmp.Diff(want, summaries, cmpopts.EquateEmpty()); diff != "" || len(want) == 0 {
		t.Errorf("cards in the sandbox (-service +sandbox):\n%s", diff)
	}
}
