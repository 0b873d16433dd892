package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/hookstest/browser"
)

var demoURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// startDemo runs `fracturecds demo` through run, as `go run
// ./cmd/fracturecds demo` does, on a free loopback port, and returns the
// address it prints. The demo is stopped when the test ends.
func startDemo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"demo", "--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, &out, &logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v\n%s", err, logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if u := demoURL.FindString(out.String()); u != "" {
			return strings.TrimSuffix(u, "/")
		}
		select {
		case err := <-done:
			t.Fatalf("demo stopped: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("demo printed no address: %q", out.String())
	return ""
}

// serviceCards posts a request file to the CDS service, wired as
// `fracturecds` serves it with its clock at asOf, as an EHR would, and
// returns the summaries and topic codes of its JSON answer.
func serviceCards(t *testing.T, file string, asOf time.Time, lang string) (summaries, topics []string) {
	t.Helper()
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Hook string }
	if err := json.Unmarshal(body, &hdr); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.Language = lang
	h, err := newHandler(cfg, zap.NewNop(), func() time.Time { return asOf }, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/cds-services/fracturecds-"+hdr.Hook, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", lang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r hooks.Response
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &r) != nil {
		t.Fatalf("service: %d %s", resp.StatusCode, raw)
	}
	for _, c := range r.Cards {
		summaries = append(summaries, c.Summary)
		topics = append(topics, c.Source.Topic.Code)
	}
	return summaries, topics
}

// rendered reads the cards back from the page as the browser shows them.
func rendered(ctx context.Context, t *testing.T) (summaries, topics []string) {
	t.Helper()
	err := chromedp.Run(ctx,
		chromedp.WaitVisible("#cards", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#cards .card .summary')).map(e => e.innerText)`, &summaries),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#cards .card')).map(e => e.dataset.topic)`, &topics),
	)
	if err != nil {
		t.Fatal(err)
	}
	return summaries, topics
}

// shot writes a screenshot to $FRACTURECDS_SHOTS (for a person to look
// at) or the test's temporary directory.
func shot(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("FRACTURECDS_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := browser.Screenshot(ctx, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func seed(name string) string { return filepath.Join("..", "..", "testdata", "seeds", name) }

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := parseAsOf(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDemoInABrowser starts `fracturecds demo` and drives it in headless
// Chromium (one browser for all parts: starting it is the slow step),
// reading the rendered cards back and comparing them with the service's
// JSON answer for the same request, date and language.
func TestDemoInABrowser(t *testing.T) {
	base := startDemo(t)
	ctx := browser.New(t, 3*time.Minute)
	t.Run("CasusIInTwoLanguagesAndTwoDates", func(t *testing.T) { demoCasusI(ctx, t, base) })
	t.Run("Casus3ThroughTheYears", func(t *testing.T) { demoCasus3(ctx, t, base) })
	t.Run("PastedAndUploadedRequests", func(t *testing.T) { demoPasted(ctx, t, base) })
	t.Run("BoneHealthViewOfCasus3", func(t *testing.T) { demoBoneHealthView(ctx, t, base) })
}

// demoBoneHealthView follows the case page's link to the bone-health view of
// Casus 3 at the 5-year review and reads the DXA changes the seed course
// teaches back (spine +8 %, femoral neck +4.5 %, both beyond the LSC).
func demoBoneHealthView(ctx context.Context, t *testing.T, base string) {
	var spine, neck []string
	read := func(sel string, out *[]string) chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent.trim())`, sel), out)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/?case=S4-casus3-alendronate-5y&lang=nl"),
		chromedp.Click("a.app", chromedp.ByQuery),
		chromedp.WaitVisible(`figure[id^="dxa-lumbar-spine"]`, chromedp.ByQuery),
		read(`figure[id^="dxa-lumbar-spine"] td.change`, &spine),
		read(`figure[id^="dxa-femoral-neck"] td.change`, &neck),
	); err != nil {
		t.Fatal(err)
	}
	if !contains(spine, "+8,0 %") || !contains(neck, "+4,5 %") {
		t.Errorf("bone-health view of Casus 3: spine %q, neck %q; want +8,0 %% and +4,5 %%", spine, neck)
	}
	shot(ctx, t, "demo-bone-health-casus3-nl.png")
}

// demoCasusI: Casus I in Dutch and English, at the fracture (2013) and
// after the DXA (2014); a suggestion shows its FHIR resource.
func demoCasusI(ctx context.Context, t *testing.T, base string) {

	var banner, record string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/?case=S1-mtx-casus1-fracture"),
		chromedp.Text("#demo-banner", &banner, chromedp.ByQuery),
		chromedp.Text("#record-date", &record, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(banner, "DEMO") || record != "2013-12-16" {
		t.Errorf("banner %q, record %q", banner, record)
	}
	fracture := mustDate(t, "2013-12-16T09:00:00Z")
	nl, nlTopics := rendered(ctx, t)
	want, wantTopics := serviceCards(t, seed("S1-mtx-casus1-fracture.request.json"), fracture, "nl")
	if diff := cmp.Diff(want, nl, cmpopts.EquateEmpty()); diff != "" || len(want) == 0 {
		t.Errorf("Casus I 2013, nl: summaries (-service +page):\n%s", diff)
	}
	if diff := cmp.Diff(wantTopics, nlTopics, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Casus I 2013, nl: topics (-service +page):\n%s", diff)
	}
	shot(ctx, t, "demo-casus1-2013-nl.png")

	// The language switch keeps the case and the date.
	if err := chromedp.Run(ctx, chromedp.Click("#lang-en", chromedp.ByQuery), chromedp.WaitReady(`html[lang="en"] #cards`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	en, _ := rendered(ctx, t)
	want, _ = serviceCards(t, seed("S1-mtx-casus1-fracture.request.json"), fracture, "en")
	if diff := cmp.Diff(want, en, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Casus I 2013, en: summaries (-service +page):\n%s", diff)
	}
	if cmp.Equal(nl, en) {
		t.Error("Dutch and English summaries are the same")
	}

	// A later date: the record after the DXA of January 2014.
	if err := chromedp.Run(ctx,
		chromedp.SetValue("#asof", "2014-01-20", chromedp.ByQuery),
		chromedp.Click("#asof-show", chromedp.ByQuery),
		chromedp.WaitReady(`a.moment.on[href*="asof=2014-01-20"]`, chromedp.ByQuery),
		chromedp.Text("#record-date", &record, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	afterDXA, _ := rendered(ctx, t)
	want, _ = serviceCards(t, seed("S1b-mtx-casus1-post-dxa.request.json"), mustDate(t, "2014-01-20"), "en")
	if diff := cmp.Diff(want, afterDXA, cmpopts.EquateEmpty()); diff != "" || record != "2014-01-20" {
		t.Errorf("Casus I 2014 (record %s), en: summaries (-service +page):\n%s", record, diff)
	}
	if cmp.Equal(en, afterDXA) {
		t.Error("the cards did not change from 2013 to 2014")
	}

	// A suggestion is a button that shows its FHIR resource.
	var resource string
	if err := chromedp.Run(ctx,
		chromedp.Click("#cards details.suggestion summary", chromedp.ByQuery),
		chromedp.WaitVisible("#cards details.suggestion[open] pre.resource", chromedp.ByQuery),
		chromedp.Text("#cards details.suggestion[open] pre.resource", &resource, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	var r struct{ ResourceType string }
	if err := json.Unmarshal([]byte(resource), &r); err != nil || r.ResourceType == "" {
		t.Errorf("the suggestion shows no FHIR resource: %v %q", err, resource)
	}
	shot(ctx, t, "demo-casus1-2014-en.png")
}

// demoCasus3 steps the alendronate patient of Casus 3 back from the
// 5-year review with the year buttons.
func demoCasus3(ctx context.Context, t *testing.T, base string) {
	file := seed("S4-casus3-alendronate-5y.request.json")

	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/?case=S4-casus3-alendronate-5y&lang=en")); err != nil {
		t.Fatal(err)
	}
	review, reviewTopics := rendered(ctx, t)
	want, _ := serviceCards(t, file, mustDate(t, "2025-06-01T09:00:00Z"), "en")
	if diff := cmp.Diff(want, review, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Casus 3 at the review: summaries (-service +page):\n%s", diff)
	}
	if !contains(reviewTopics, "bisphosphonate-5y-review") {
		t.Errorf("no 5-year review card at 2025-06-01: %v", reviewTopics)
	}
	shot(ctx, t, "demo-casus3-2025-en.png")

	if err := chromedp.Run(ctx,
		chromedp.Click("#prev-year", chromedp.ByQuery),
		chromedp.WaitReady(`input#asof[value="2024-06-01"]`, chromedp.ByQuery),
		chromedp.Click("#prev-year", chromedp.ByQuery),
		chromedp.WaitReady(`input#asof[value="2023-06-01"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	before, beforeTopics := rendered(ctx, t)
	want, _ = serviceCards(t, file, mustDate(t, "2023-06-01"), "en")
	if diff := cmp.Diff(want, before, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Casus 3 in 2023: summaries (-service +page):\n%s", diff)
	}
	if contains(beforeTopics, "bisphosphonate-5y-review") {
		t.Errorf("5-year review card after 3 years: %v", beforeTopics)
	}
	shot(ctx, t, "demo-casus3-2023-en.png")
}

// demoPasted pastes one request and uploads another.
func demoPasted(ctx context.Context, t *testing.T, base string) {
	example := filepath.Join("..", "..", "examples", "patient-view.json")
	body, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/?paste=1&lang=en"),
		chromedp.SetValue("#request", string(body), chromedp.ByQuery),
		chromedp.SetValue("#paste-asof", "2026-01-15", chromedp.ByQuery),
		chromedp.Click("#evaluate", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	got, _ := rendered(ctx, t)
	want, _ := serviceCards(t, example, mustDate(t, "2026-01-15"), "en")
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || len(want) == 0 {
		t.Errorf("pasted example: summaries (-service +page):\n%s", diff)
	}
	shot(ctx, t, "demo-pasted-en.png")

	// An uploaded file, dated by its own extension (Casus I after the DXA).
	upload, err := filepath.Abs(seed("S1b-mtx-casus1-post-dxa.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/?paste=1&lang=nl"),
		chromedp.SetUploadFiles("#file", []string{upload}, chromedp.ByQuery),
		chromedp.Click("#evaluate", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	got, _ = rendered(ctx, t)
	want, _ = serviceCards(t, upload, mustDate(t, "2014-01-20T09:00:00Z"), "nl")
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || len(want) == 0 {
		t.Errorf("uploaded S1b: summaries (-service +page):\n%s", diff)
	}
}

func TestDemoOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8077", "192.0.2.1:8077", ":8077", "example.org:80"} {
		err := run(context.Background(), []string{"demo", "--addr", addr}, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("demo --addr %s: %v, want a refusal naming loopback", addr, err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
