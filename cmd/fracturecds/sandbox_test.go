package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks/hookstest"
	"github.com/fracturecds/fracturecds/hooks/hookstest/browser"
)

// The CDS Hooks Sandbox's fixed JWT issuer (its README and its bundle).
const sandboxIssuer = "https://sandbox.cds-hooks.org"

// RxNorm products the sandbox orders from its medication list (SCD
// 904431 and 105585), by the names its list shows.
const (
	rxAlendronate70  = "Alendronic acid 70 MG Oral Tablet"
	rxMethotrexate25 = "Methotrexate 2.5 MG Oral Tablet"
)

// signOrder is the sandbox's Sign Order button (Rx Sign).
const signOrder = `//button[normalize-space(.)="Sign Order"]`

// sandboxCard is one card as the sandbox renders it.
type sandboxCard struct {
	Indicator string `json:"indicator"` // from the card's alert-<indicator> class
	Summary   string `json:"summary"`   // the card's bold first line
	Text      string `json:"text"`      // everything the card shows
}

func (c sandboxCard) String() string { return c.Indicator + ": " + c.Summary }

// readSandboxCards returns the cards the sandbox shows, in its order.
const readSandboxCards = `Array.from(document.querySelectorAll('[class*="card-list__decision-card"]')).map(function (el) {
  var m = /card-list__alert-(info|warning|critical|error)/.exec(el.className);
  var first = el.querySelector('p, span, h6, div');
  return {indicator: m ? m[1] : '', summary: first ? first.innerText.trim() : '', text: el.innerText};
})`

// readSandboxResponse returns the service's last response as the sandbox's
// CDS Developer Panel shows it (a <pre> with one <div> per JSON line), so
// that the test reads the topic codes the page received.
const readSandboxResponse = `(function () {
  var found = '';
  document.querySelectorAll('[class*="exchange-panel__fhir-view"] pre').forEach(function (el) {
    try {
      var v = JSON.parse(el.textContent);
      if (v && Array.isArray(v.cards)) found = el.textContent;
    } catch (e) {}
  });
  return found;
})()`

// cardWant is what a clinician must see: a card of this indicator whose
// text holds every one of these words (case-insensitive). Card wording
// belongs to the rules, so only robust words are asserted.
type cardWant struct {
	indicator string
	words     []string
}

func (w cardWant) match(c sandboxCard) bool {
	if c.Indicator != w.indicator {
		return false
	}
	text := strings.ToLower(c.Text)
	for _, word := range w.words {
		if !strings.Contains(text, strings.ToLower(word)) {
			return false
		}
	}
	return true
}

// TestCDSHooksSandboxEndToEnd drives the HL7 community's reference CDS
// client, the CDS Hooks Sandbox (../shared/tools/cds-hooks-sandbox, served
// from its static build on loopback), in headless Chromium against the
// service started through run (trusting the sandbox's JWT through
// jwks_file, CORS allowing the sandbox's origin) and the project's test
// FHIR server holding seed patients, and reads back the cards the sandbox
// renders: patient-view, order-select (Rx View) and order-sign (Rx Sign)
// for an alendronate order at eGFR < 30 and for a methotrexate order, both
// ordered as the sandbox orders, by RxNorm product.
func TestCDSHooksSandboxEndToEnd(t *testing.T) {
	build := filepath.Join(fhirtest.RepoRoot(t), "..", "shared", "tools", "cds-hooks-sandbox", "build")
	if _, err := os.Stat(filepath.Join(build, "index.html")); err != nil {
		if os.Getenv(browser.RequireEnv) == "1" {
			t.Fatalf("the CDS Hooks Sandbox build is missing (%v); CI checks out ../shared beside the project", err)
		}
		t.Skipf("the CDS Hooks Sandbox build is not beside the project: %v", err)
	}
	ctx := browser.New(t, 6*time.Minute)
	fhirBase := fhirtest.StartOpenMedplum(t)
	now := time.Now()
	patients := seedSandboxPatients(t, fhirBase, now)

	sandbox := httptest.NewServer(http.FileServer(http.Dir(build)))
	t.Cleanup(sandbox.Close)

	service := startServiceForSandbox(t, sandbox.URL, fhirBase, build)

	open := func(t *testing.T, patientID, hook, screen string, extra url.Values) {
		t.Helper()
		q := url.Values{
			"fhirServiceUrl":      {fhirBase},
			"serviceDiscoveryURL": {service.base + "/cds-services"},
			"patientId":           {patientID},
			"hook":                {hook},
			"screen":              {screen},
		}
		for k, v := range extra {
			q[k] = v
		}
		if err := chromedp.Run(ctx, chromedp.Navigate(sandbox.URL+"/index.html?"+q.Encode())); err != nil {
			t.Fatalf("open the sandbox: %v", err)
		}
	}

	tests := []struct {
		name, patient, hook, screen string
		order                       string // RxNorm product ordered (its name), for the order hooks
		sign                        bool   // press Sign Order (order-sign needs it)
		want                        []cardWant
		topics                      map[string]string // topic code -> indicator in the response shown
	}{
		{
			name: "patient-view/methotrexate-fracture", patient: patients.mtx, hook: "patient-view", screen: "patient-view",
			want: []cardWant{
				{"warning", []string{"methotrexate"}},
				{"warning", []string{"fracture"}},
			},
			topics: map[string]string{"fracture-case-finding": "warning", "mtx-dexa-on-indication": "warning"},
		},
		{
			name: "order-select/alendronate-egfr-24", patient: patients.renal, hook: "order-select", screen: "rx-view", order: rxAlendronate70,
			want:   []cardWant{{"critical", []string{"eGFR", "24", "bisphosphonate"}}},
			topics: map[string]string{"bisphosphonate-egfr-contraindication": "critical"},
		},
		{
			name: "order-sign/alendronate-egfr-24", patient: patients.renal, hook: "order-sign", screen: "rx-sign", order: rxAlendronate70, sign: true,
			want:   []cardWant{{"critical", []string{"eGFR", "24", "bisphosphonate"}}},
			topics: map[string]string{"bisphosphonate-egfr-contraindication": "critical"},
		},
		{
			name: "order-select/methotrexate", patient: patients.mtx, hook: "order-select", screen: "rx-view", order: rxMethotrexate25,
			want:   []cardWant{{"warning", []string{"methotrexate", "DXA"}}},
			topics: map[string]string{"mtx-dexa-on-indication": "warning"},
		},
		{
			name: "order-sign/methotrexate", patient: patients.mtx, hook: "order-sign", screen: "rx-sign", order: rxMethotrexate25, sign: true,
			want:   []cardWant{{"warning", []string{"methotrexate", "DXA"}}},
			topics: map[string]string{"mtx-dexa-on-indication": "warning"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := service.calls(tt.hook)
			open(t, tt.patient, tt.hook, tt.screen, nil)
			if tt.order != "" {
				// Order as a clinician does: type part of the name and pick
				// the product from the sandbox's list (its URL parameter
				// prescribedMedication is reset when the patient loads).
				item := `//*[normalize-space(text())="` + tt.order + `"]`
				sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				// One key at a time: the field is re-rendered from the
				// sandbox's store after a 150 ms debounce, which drops keys
				// typed faster.
				actions := []chromedp.Action{chromedp.WaitVisible(`input[name="medication-input"]`, chromedp.ByQuery)}
				for _, r := range strings.Join(strings.Fields(tt.order)[:3], " ") {
					actions = append(actions,
						chromedp.SendKeys(`input[name="medication-input"]`, string(r), chromedp.ByQuery),
						chromedp.Sleep(250*time.Millisecond))
				}
				if err := chromedp.Run(sctx, append(actions,
					chromedp.WaitVisible(item, chromedp.BySearch),
					chromedp.Click(item, chromedp.BySearch),
				)...); err != nil {
					_ = browser.Screenshot(ctx, filepath.Join(os.TempDir(), "fracturecds-sandbox-choose.png"))
					t.Fatalf("choose %s: %v", tt.order, err)
				}
			}
			if tt.sign {
				// The sandbox calls order-sign only when the order is
				// signed, and only once it has read discovery: press Sign
				// Order until the call arrives.
				deadline := time.Now().Add(45 * time.Second)
				for service.calls(tt.hook) == before {
					if time.Now().After(deadline) {
						t.Fatalf("pressing Sign Order made no order-sign call")
					}
					if err := chromedp.Run(ctx,
						chromedp.WaitVisible(signOrder, chromedp.BySearch),
						chromedp.Click(signOrder, chromedp.BySearch),
					); err != nil {
						t.Fatalf("press Sign Order: %v", err)
					}
					time.Sleep(time.Second)
				}
			}
			cards, topics := waitForCards(t, ctx, tt.want, tt.topics)
			// FRACTURECDS_SCREENSHOT_DIR keeps the pages for a person to look at.
			dir := os.Getenv("FRACTURECDS_SCREENSHOT_DIR")
			if dir == "" {
				dir = t.TempDir()
			}
			shot := filepath.Join(dir, "sandbox-"+strings.ReplaceAll(tt.name, "/", "-")+".png")
			if err := browser.Screenshot(ctx, shot); err == nil {
				t.Logf("screenshot: %s", shot)
			}
			for _, w := range tt.want {
				if !hasCard(cards, w) {
					t.Errorf("no %s card with %q among the cards the sandbox shows: %v\nservice log:\n%s",
						w.indicator, w.words, cards, service.logs.String())
				}
			}
			for topic, ind := range tt.topics {
				if topics[topic] != ind {
					t.Errorf("the response the sandbox shows has %s = %q, want %q (all: %v)", topic, topics[topic], ind, topics)
				}
			}
			if service.calls(tt.hook) == before {
				t.Errorf("the service logged no %s call", tt.hook)
			}
		})
	}
	// Every call was authenticated with the sandbox's own JWT: a refused
	// token would have been answered 401 and logged.
	if l := service.logs.String(); strings.Contains(l, `"status":401`) {
		t.Errorf("the service refused a sandbox call:\n%s", l)
	}
}

func hasCard(cards []sandboxCard, w cardWant) bool {
	for _, c := range cards {
		if w.match(c) {
			return true
		}
	}
	return false
}

// waitForCards polls the page until every wanted card is shown and the
// developer panel shows every wanted topic (or 30 s pass: the sandbox
// first reads the FHIR server, discovery and the prefetch) and returns the
// cards and topics shown last.
func waitForCards(t *testing.T, ctx context.Context, want []cardWant, wantTopics map[string]string) ([]sandboxCard, map[string]string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var cards []sandboxCard
		if err := chromedp.Run(ctx, chromedp.Evaluate(readSandboxCards, &cards)); err != nil {
			t.Fatalf("read the cards: %v", err)
		}
		topics := sandboxTopics(t, ctx)
		all := len(cards) > 0
		for _, w := range want {
			all = all && hasCard(cards, w)
		}
		for topic, ind := range wantTopics {
			all = all && topics[topic] == ind
		}
		if all || time.Now().After(deadline) {
			return cards, topics
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// sandboxPatients are the ids of the seeded patients.
type sandboxPatients struct {
	mtx   string // seed S1: long-term methotrexate and a recent tibia fracture
	renal string // seed S6 with an eGFR of 24 a week ago
}

// seedSandboxPatients loads seed patients into the FHIR server with their
// dates moved so that the seed's evaluation moment is now (the sandbox
// dates its orders today and the service uses the real clock), and gives
// the S6 patient an eGFR of 24 mL/min/1.73m2 measured a week ago.
func seedSandboxPatients(t *testing.T, fhirBase string, now time.Time) sandboxPatients {
	t.Helper()
	var p sandboxPatients
	for _, c := range fhirtest.LoadCases(t) {
		switch c.ID {
		case "S1-mtx-casus1-fracture", "S6-order-select-oral-bp":
		default:
			continue
		}
		req, err := fhirtest.ShiftDates(c.Request(t), fhirtest.DaysUntil(c.AsOf, now))
		if err != nil {
			t.Fatal(err)
		}
		fhirtest.SeedFromRequest(t, fhirBase, "", req)
		var head struct {
			Context struct {
				PatientID string `json:"patientId"`
			} `json:"context"`
		}
		if err := json.Unmarshal(req, &head); err != nil {
			t.Fatal(err)
		}
		if c.ID == "S1-mtx-casus1-fracture" {
			p.mtx = head.Context.PatientID
		} else {
			p.renal = head.Context.PatientID
		}
	}
	if p.mtx == "" || p.renal == "" {
		t.Fatalf("seed cases S1 and S6 not found in testdata/seeds/cases.json")
	}
	egfr, err := json.Marshal(map[string]any{
		"resourceType": "Observation",
		"id":           "sandbox-e2e-egfr",
		"status":       "final",
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory",
		}}}},
		"code": map[string]any{"coding": []any{map[string]any{
			"system": "http://loinc.org", "code": "62238-1",
			"display": "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)",
		}}},
		"subject":           map[string]any{"reference": "Patient/" + p.renal},
		"effectiveDateTime": now.AddDate(0, 0, -7).UTC().Format(time.RFC3339),
		"valueQuantity": map[string]any{
			"value": 24, "unit": "mL/min/{1.73_m2}", "system": "http://unitsofmeasure.org", "code": "mL/min/{1.73_m2}",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	fhirtest.PutResource(t, fhirBase, "", egfr)
	return p
}

// sandboxService is the service under test, started through run.
type sandboxService struct {
	base string
	logs *syncBuffer
}

// calls counts the service's request log lines for hook.
func (s sandboxService) calls(hook string) int {
	return strings.Count(s.logs.String(), `"service":"fracturecds-`+hook+`"`)
}

// startServiceForSandbox runs the service as a hospital would configure it
// for the sandbox: its issuer trusted through its published key set
// (jwks_file), the test FHIR server the only fhirServer it may send, and
// CORS open to the sandbox's origin only.
func startServiceForSandbox(t *testing.T, sandboxOrigin, fhirBase, build string) sandboxService {
	t.Helper()
	// The aud a token must carry is public_base_url + the path, so the
	// port is chosen before the service starts.
	addr := freeAddr(t)
	base := "http://" + addr
	dir := t.TempDir()
	config := fmt.Sprintf(`public_base_url: %s
admin_addr: "off"
data_dir: %q
language: en
auth:
  issuers:
    - iss: %s
      jwks_file: %q
      fhir_servers: [%q]
cors:
  allowed_origins: [%q]
`, base, filepath.Join(dir, "data"), sandboxIssuer, filepath.Join(build, ".well-known", "jwks.json"), fhirBase, sandboxOrigin)
	path := filepath.Join(dir, "fracturecds.yaml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--config", path}, func(string) string { return "" }, io.Discard, logs)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("run did not shut down")
		}
	})
	waitHealthy(t, base+"/healthz")
	return sandboxService{base: base, logs: logs}
}

// sandboxTopics returns topic code -> indicator of the response the
// sandbox's developer panel shows ("" when it shows none).
func sandboxTopics(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	var raw string
	if err := chromedp.Run(ctx, chromedp.Evaluate(readSandboxResponse, &raw)); err != nil {
		t.Fatalf("read the developer panel: %v", err)
	}
	if raw == "" {
		return nil
	}
	topics, err := hookstest.Topics([]byte(raw))
	if err != nil {
		t.Fatalf("the developer panel's response is not a CDS Hooks response: %v\n%.500s", err, raw)
	}
	return topics
}
