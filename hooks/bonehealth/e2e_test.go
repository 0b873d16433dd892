package bonehealth_test

import (
	"bytes"
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
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/bonehealth"
	"github.com/fracturecds/fracturecds/hooks/hookstest/browser"
	"github.com/fracturecds/fracturecds/rules"
)

// seedCases are the seed patients loaded into the FHIR server.
var seedCases = []string{"S4-casus3-alendronate-5y", "S5b-casus3-denosumab-overdue", "S6-casus4-fracture-on-treatment", "S2c-mtx-casus2-after-stop"}

// rig is the whole chain of a real launch: Medplum (open, with the seed
// patients) behind the SMART launcher (authorization server + FHIR proxy),
// and the service with the bone-health app on a loopback port.
type rig struct {
	fhirBase, iss string
	app           string
	cases         map[string]fhirtest.Case
	clock         *clock
	logs          *syncBuffer
	tokens        *tokenTap
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// tokenTap sits in the app's HTTP client and remembers every access token
// the token endpoint hands out, so the tests can look for it everywhere it
// must not be.
type tokenTap struct {
	mu     sync.Mutex
	tokens []string
}

func (tp *tokenTap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/token") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &tok) == nil && tok.AccessToken != "" {
		tp.mu.Lock()
		tp.tokens = append(tp.tokens, tok.AccessToken)
		tp.mu.Unlock()
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (tp *tokenTap) all() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]string(nil), tp.tokens...)
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{cases: map[string]fhirtest.Case{}, clock: &clock{now: time.Now()}, logs: &syncBuffer{}, tokens: &tokenTap{}}
	r.fhirBase = fhirtest.StartOpenMedplum(t)
	for _, c := range fhirtest.LoadCases(t) {
		for _, id := range seedCases {
			if c.ID == id {
				r.cases[id] = c
				fhirtest.SeedFromRequest(t, r.fhirBase, "", c.Request(t))
			}
		}
	}
	if len(r.cases) != len(seedCases) {
		t.Fatalf("found %d of %d seed cases", len(r.cases), len(seedCases))
	}
	r.iss = startLauncher(t, r.fhirBase)

	logger := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(r.logs), zapcore.DebugLevel))
	// The allow-list names exactly the launcher and the open server: any
	// other iss, loopback or not, is refused.
	allow := func(base string) bool {
		b := strings.TrimRight(base, "/")
		return b == r.iss || b == r.fhirBase
	}
	g := fhir.NewGatherer(fhir.Options{AllowServer: allow, Budget: 20 * time.Second})
	srv := httptest.NewUnstartedServer(nil)
	srv.Start()
	t.Cleanup(srv.Close)
	r.app = srv.URL
	app := bonehealth.New(bonehealth.Config{
		Logger: logger, Facts: g, Thresholds: rules.DefaultThresholds(), PublicURL: srv.URL,
		ClientID: "fracturecds-test", AllowServer: allow, HTTPClient: &http.Client{Transport: r.tokens}, Now: r.clock.Now,
	})
	srv.Config.Handler = hooks.NewHandler(hooks.Config{Logger: logger, Facts: g, Thresholds: rules.DefaultThresholds(), BoneHealth: app, Now: r.clock.Now})
	return r
}

// at sets the clock to the seed case's moment T.
func (r *rig) at(t *testing.T, id string) {
	t.Helper()
	r.clock.Set(r.cases[id].AsOf)
}

func (r *rig) launchURL(t *testing.T, patient string) string {
	return r.app + bonehealth.LaunchPath + "?" + url.Values{"iss": {r.iss}, "launch": {launchCode(t, patient, "fracturecds-test")}}.Encode()
}

func texts(sel string, out *[]string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(e => e.textContent.trim())`, sel), out)
}

// TestLaunchThroughSMARTLauncherInBrowser launches the app as an EHR
// would, in headless Chromium: the launcher's EHR launch, discovery, the
// authorization code with PKCE, the token exchange, then the page. It
// reads the rendered numbers back and looks for the access token in every
// page and log line.
func TestLaunchThroughSMARTLauncherInBrowser(t *testing.T) {
	r := newRig(t)
	ctx := browser.New(t, 4*time.Minute)
	shots := os.Getenv("FRACTURECDS_SHOTS_DIR") // e.g. /work/shots; "" keeps them in the test's temp dir
	if shots == "" {
		shots = t.TempDir()
	}
	var pages []string
	launch := func(id, patient, lang string) (html string) {
		t.Helper()
		r.at(t, id)
		var loc string
		err := chromedp.Run(ctx,
			chromedp.Navigate(r.launchURL(t, patient)),
			chromedp.WaitVisible("#h-findings", chromedp.ByQuery),
			chromedp.Location(&loc),
		)
		if err != nil {
			t.Fatalf("%s: launch: %v", id, err)
		}
		// The address bar ends on the view: no code, state or token in it.
		if loc != r.app+bonehealth.ViewPath {
			t.Errorf("%s: the launch ended on %q, want %q", id, loc, r.app+bonehealth.ViewPath)
		}
		if err := chromedp.Run(ctx,
			chromedp.Navigate(r.app+bonehealth.ViewPath+"?lang="+lang),
			chromedp.WaitVisible("#h-findings", chromedp.ByQuery),
			chromedp.OuterHTML("html", &html, chromedp.ByQuery),
		); err != nil {
			t.Fatalf("%s: view: %v", id, err)
		}
		pages = append(pages, html)
		if dir := os.Getenv("FRACTURECDS_SHOTS_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, id+"-"+lang+".html"), []byte(html), 0o644)
		}
		return html
	}

	t.Run("Casus 3: spine +8 % and neck +4.5 %, both beyond the LSC", func(t *testing.T) {
		launch("S4-casus3-alendronate-5y", "s4-pat", "nl")
		var spine, neck, verdicts []string
		if err := chromedp.Run(ctx,
			texts(`figure[id^="dxa-lumbar-spine"] td.change`, &spine),
			texts(`figure[id^="dxa-femoral-neck"] td.change`, &neck),
			texts(`figure[id^="dxa-lumbar-spine"] tbody tr td:last-child`, &verdicts),
		); err != nil {
			t.Fatal(err)
		}
		if !contains(spine, "+8,0 %") || !contains(neck, "+4,5 %") {
			t.Errorf("changes shown: spine %q, neck %q; want +8,0 %% and +4,5 %%", spine, neck)
		}
		if !contains(verdicts, "significant (groter dan LSC)") {
			t.Errorf("spine verdicts %q: want the +8 %% change called significant", verdicts)
		}
		if err := screenshot(ctx, filepath.Join(shots, "casus3-nl.png")); err != nil {
			t.Error(err)
		}
	})

	t.Run("S5b: the overdue denosumab dose", func(t *testing.T) {
		id := "S5b-casus3-denosumab-overdue"
		launch(id, "s5b-pat", "en")
		th := rules.DefaultThresholds()
		lastDose := time.Date(2024, 10, 2, 0, 0, 0, 0, time.UTC) // the seed's last injection
		due := lastDose.AddDate(0, 0, th.DmabIntervalDays)
		want := fmt.Sprintf("next dose overdue: %d days", rules.DaysBetween(due, r.clock.Now()))
		var rows, findings []string
		if err := chromedp.Run(ctx, texts(`#tx-table tbody tr`, &rows), texts(`.finding p`, &findings)); err != nil {
			t.Fatal(err)
		}
		if !containsSub(rows, want) || !containsSub(rows, rules.FormatDate(due)) {
			t.Errorf("treatment rows %q: want %q due %s", rows, want, rules.FormatDate(due))
		}
		if len(findings) == 0 {
			t.Error("no current findings shown")
		}
	})

	t.Run("Casus 4: vertebral fracture on treatment", func(t *testing.T) {
		launch("S6-casus4-fracture-on-treatment", "s6-pat", "nl")
		var rows []string
		if err := chromedp.Run(ctx, texts(`#tx-table tbody tr`, &rows)); err != nil {
			t.Fatal(err)
		}
		if !containsSub(rows, "tijdens behandeling") {
			t.Errorf("treatment rows %q: want a fracture marked during treatment", rows)
		}
		if err := screenshot(ctx, filepath.Join(shots, "casus4-nl.png")); err != nil {
			t.Error(err)
		}
	})

	t.Run("Casus II: methotrexate stopped before the recovery", func(t *testing.T) {
		launch("S2c-mtx-casus2-after-stop", "s2c-pat", "en")
		var rows, tscores []string
		if err := chromedp.Run(ctx, texts(`#tx-table tbody tr`, &rows), texts(`figure[id^="dxa-lumbar-spine"] tbody td:nth-child(3)`, &tscores)); err != nil {
			t.Fatal(err)
		}
		if !containsSub(rows, "stopped on 2021-07-01") {
			t.Errorf("treatment rows %q: want methotrexate stopped on 2021-07-01", rows)
		}
		if !contains(tscores, "-1.4") {
			t.Errorf("spine T-scores %q: want -1.4", tscores)
		}
	})

	tokens := r.tokens.all()
	if len(tokens) < 4 {
		t.Fatalf("saw %d access tokens, want one per launch", len(tokens))
	}
	logs := r.logs.String()
	for _, tok := range tokens {
		for i, p := range pages {
			if strings.Contains(p, tok) {
				t.Errorf("page %d contains an access token", i)
			}
		}
		if strings.Contains(logs, tok) {
			t.Error("the log contains an access token")
		}
	}
	var cookies string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.cookie`, &cookies)); err != nil {
		t.Fatal(err)
	}
	if cookies != "" {
		t.Errorf("script can read cookies %q: the session cookie must be HttpOnly", cookies)
	}
}

// TestOpenServerLaunchInBrowser launches against an open FHIR server (no
// SMART configuration, no authorization), as the CDS Hooks Sandbox's test
// servers are: the card link names the patient.
func TestOpenServerLaunchInBrowser(t *testing.T) {
	r := newRig(t)
	ctx := browser.New(t, 2*time.Minute)
	r.at(t, "S4-casus3-alendronate-5y")
	u := r.app + bonehealth.LaunchPath + "?" + url.Values{"iss": {r.fhirBase}, "launch": {"x"}, "patient": {"s4-pat"}, "lang": {"en"}}.Encode()
	var spine []string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(u),
		chromedp.WaitVisible("#h-findings", chromedp.ByQuery),
		texts(`figure[id^="dxa-lumbar-spine"] td.change`, &spine),
	); err != nil {
		t.Fatal(err)
	}
	if !contains(spine, "+8.0 %") {
		t.Errorf("spine changes %q: want +8.0 %%", spine)
	}
}

// screenshot writes a full-page PNG (quality 100 makes chromedp ask for
// PNG; browser.Screenshot's 90 gives a JPEG).
func screenshot(ctx context.Context, path string) error {
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

func contains(xs []string, want string) bool {
	for _, x := range xs {
		if x == want {
			return true
		}
	}
	return false
}

func containsSub(xs []string, want string) bool {
	for _, x := range xs {
		if strings.Contains(x, want) {
			return true
		}
	}
	return false
}
