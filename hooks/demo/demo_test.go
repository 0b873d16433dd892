package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/fhir/fhirtest"
	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/rules"
)

// repoFiles is the repository as the binary embeds it (examples/,
// testdata/seeds/).
func repoFiles(t *testing.T) fs.FS {
	t.Helper()
	return os.DirFS(fhirtest.RepoRoot(t))
}

// service is the hooks handler with the default thresholds and its clock
// at asOf (cmd builds the same from its configuration).
func service(asOf time.Time) (http.Handler, error) {
	g := fhir.NewGatherer(fhir.Options{})
	return hooks.NewHandler(hooks.Config{Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates(), Now: func() time.Time { return asOf }}), nil
}

func TestLoadCasesGroupsStories(t *testing.T) {
	cases, err := LoadCases(repoFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range cases {
		for _, s := range c.Snapshots {
			got[c.ID] = append(got[c.ID], s.ID)
		}
	}
	want := map[string][]string{
		"example-patient-view":              {"example-patient-view"},
		"example-order-sign-denosumab-stop": {"example-order-sign-denosumab-stop"},
		"S1-mtx-casus1-fracture":            {"S1-mtx-casus1-fracture", "S1b-mtx-casus1-post-dxa", "S1c-mtx-casus1-now"},
		"S2-mtx-casus2-fracture":            {"S2-mtx-casus2-fracture", "S2b-mtx-casus2-post-dxa", "S2c-mtx-casus2-after-stop"},
		"S3a-pieterse-casefinding":          {"S3a-pieterse-casefinding", "S3b-pieterse-results", "S3c-pieterse-consultation"},
		"S4-casus3-alendronate-5y":          {"S4-casus3-alendronate-5y"},
		"S5-casus3-denosumab-5y":            {"S5-casus3-denosumab-5y"},
		"S5b-casus3-denosumab-overdue":      {"S5b-casus3-denosumab-overdue"},
		"S5c-casus3-denosumab-stop-order":   {"S5c-casus3-denosumab-stop-order"},
		"S6-casus4-fracture-on-treatment":   {"S6-casus4-fracture-on-treatment"},
		"S6-order-select-oral-bp":           {"S6-order-select-oral-bp"},
		"S7-dexa-report-example":            {"S7-dexa-report-example"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cases (-want +got):\n%s", diff)
	}
	if cases[0].ID != "example-patient-view" {
		t.Errorf("the landing case is %s, want the patient-view example", cases[0].ID)
	}
	if cases[2].Title != "Patiënt Casus I (patient-view)" {
		t.Errorf("title of %s = %q", cases[2].ID, cases[2].Title)
	}
}

func TestCaseAtPicksTheRecordOfTheDate(t *testing.T) {
	cases, err := LoadCases(repoFiles(t))
	if err != nil {
		t.Fatal(err)
	}
	var casus1 Case
	for _, c := range cases {
		if c.ID == "S1-mtx-casus1-fracture" {
			casus1 = c
		}
	}
	for _, tc := range []struct{ date, want string }{
		{"2010-01-01", "S1-mtx-casus1-fracture"}, // before the first: the first
		{"2013-12-16", "S1-mtx-casus1-fracture"},
		{"2014-01-19", "S1-mtx-casus1-fracture"},
		{"2014-01-20", "S1b-mtx-casus1-post-dxa"},
		{"2020-05-01", "S1b-mtx-casus1-post-dxa"},
		{"2022-12-01", "S1c-mtx-casus1-now"},
		{"2030-01-01", "S1c-mtx-casus1-now"},
	} {
		d, err := ParseDate(tc.date)
		if err != nil {
			t.Fatal(err)
		}
		if got := casus1.At(d).ID; got != tc.want {
			t.Errorf("At(%s) = %s, want %s", tc.date, got, tc.want)
		}
	}
}

// TestSeedRequestsCarryTheirDate holds the as-of extension of every seed
// request to the asOf of its case in cases.json, which the seed tests use.
func TestSeedRequestsCarryTheirDate(t *testing.T) {
	for _, c := range fhirtest.LoadCases(t) {
		got, ok, err := AsOf(c.Request(t))
		if err != nil || !ok {
			t.Errorf("%s: AsOf = %v, %v, %v; want the extension %s", c.File, got, ok, err, AsOfExtension)
			continue
		}
		if !got.Equal(c.AsOf) {
			t.Errorf("%s: extension %s = %s, cases.json asOf %s", c.File, AsOfExtension, got, c.AsOf)
		}
	}
}

func TestAsOf(t *testing.T) {
	for _, tc := range []struct {
		body    string
		want    string
		ok      bool
		wantErr bool
	}{
		{`{"hook":"patient-view"}`, "", false, false},
		{`{"extension":{"other":1}}`, "", false, false},
		{`{"extension":{"org.fracturecds.as-of":"2014-01-20"}}`, "2014-01-20T12:00:00Z", true, false},
		{`{"extension":{"org.fracturecds.as-of":"2014-01-20T09:00:00+01:00"}}`, "2014-01-20T08:00:00Z", true, false},
		{`{"extension":{"org.fracturecds.as-of":"20 januari"}}`, "", false, true},
		{`{"extension":{"org.fracturecds.as-of":20140120}}`, "", false, true},
		{`not json`, "", false, true},
	} {
		got, ok, err := AsOf([]byte(tc.body))
		if (err != nil) != tc.wantErr || ok != tc.ok {
			t.Errorf("AsOf(%s) = %v, %v, %v", tc.body, got, ok, err)
			continue
		}
		if ok && got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("AsOf(%s) = %s, want %s", tc.body, got.UTC().Format(time.RFC3339), tc.want)
		}
	}
}

// TestDetailMarkdownIsSafe: card detail is Markdown from the service, but
// the page must never carry markup or script links from it.
func TestDetailMarkdownIsSafe(t *testing.T) {
	vc, err := newViewCard(hooks.Card{Detail: "**bold** <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))\n\n| a | b |\n|---|---|\n| 1 | 2 |"})
	if err != nil {
		t.Fatal(err)
	}
	html := string(vc.DetailHTML)
	for _, bad := range []string{"<script", "<img", "javascript:"} {
		if strings.Contains(html, bad) {
			t.Errorf("detail HTML contains %q:\n%s", bad, html)
		}
	}
	for _, good := range []string{"<strong>bold</strong>", "<table>", "<td>1</td>"} {
		if !strings.Contains(html, good) {
			t.Errorf("detail HTML lacks %q:\n%s", good, html)
		}
	}
}

func newDemo(t *testing.T) http.Handler {
	t.Helper()
	h, err := NewHandler(Config{Service: service, Files: repoFiles(t), Now: func() time.Time { return time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// serviceSummaries posts a request to the service as an EHR does and
// returns the summaries it answers.
func serviceSummaries(t *testing.T, body []byte, asOf time.Time, lang string) []string {
	t.Helper()
	svc, _ := service(asOf)
	res, err := Evaluate(context.Background(), svc, body, lang)
	if err != nil || res.Status != http.StatusOK {
		t.Fatalf("service: %v %d %s", err, res.Status, res.Body)
	}
	var out []string
	for _, c := range res.Response.Cards {
		out = append(out, c.Summary)
	}
	return out
}

func TestPageShowsTheServiceCards(t *testing.T) {
	h := newDemo(t)
	s1, err := os.ReadFile(fhirtest.RepoRoot(t) + "/testdata/seeds/S1b-mtx-casus1-post-dxa.request.json")
	if err != nil {
		t.Fatal(err)
	}
	asOf, _ := ParseDate("2014-02-10")
	for _, lang := range []string{"nl", "en"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?case=S1-mtx-casus1-fracture&asof=2014-02-10&lang="+lang, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		page := rec.Body.String()
		want := serviceSummaries(t, s1, asOf, lang)
		if len(want) == 0 {
			t.Fatal("the service gave no cards for S1b")
		}
		if diff := cmp.Diff(want, pageSummaries(page)); diff != "" {
			t.Errorf("%s: summaries on the page (-service +page):\n%s", lang, diff)
		}
		if !strings.Contains(page, `<strong id="record-date">2014-01-20</strong>`) {
			t.Errorf("%s: page does not show the record of 2014-01-20", lang)
		}
		if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") {
			t.Errorf("CSP = %q", got)
		}
	}
}

var summaryElement = regexp.MustCompile(`<h3 class="summary">([^<]*)</h3>`)

// pageSummaries reads the card summaries back from a page.
func pageSummaries(page string) []string {
	var out []string
	for _, m := range summaryElement.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestPastedRequest(t *testing.T) {
	h := newDemo(t)
	body, err := os.ReadFile(fhirtest.RepoRoot(t) + "/testdata/seeds/S4-casus3-alendronate-5y.request.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, asof string
		want       time.Time
	}{
		{"extension date", "", time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)},
		{"form date", "2023-06-01", time.Date(2023, 6, 1, 12, 0, 0, 0, time.UTC)},
	} {
		form := url.Values{"request": {string(body)}, "lang": {"en"}, "asof": {tc.asof}}
		req := httptest.NewRequest(http.MethodPost, "/evaluate", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", tc.name, rec.Code, rec.Body)
		}
		want := serviceSummaries(t, body, tc.want, "en")
		if diff := cmp.Diff(want, pageSummaries(rec.Body.String())); diff != "" {
			t.Errorf("%s: summaries on the page (-service +page):\n%s", tc.name, diff)
		}
	}
	// Not a request: the page says why, with the text kept for editing.
	form := url.Values{"request": {`{"hook": "encounter-start"}`}}
	req := httptest.NewRequest(http.MethodPost, "/evaluate", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if !strings.Contains(rec.Body.String(), "hook is not served") || !strings.Contains(rec.Body.String(), "encounter-start") {
		t.Errorf("unserved hook: page lacks the reason:\n%s", rec.Body)
	}
}

func TestWriteText(t *testing.T) {
	body, err := os.ReadFile(fhirtest.RepoRoot(t) + "/testdata/seeds/S1-mtx-casus1-fracture.request.json")
	if err != nil {
		t.Fatal(err)
	}
	asOf, _, _ := AsOf(body)
	svc, _ := service(asOf)
	res, err := Evaluate(context.Background(), svc, body, "en")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteText(&out, res, TextOptions{AsOf: "2013-12-16", AsOfSource: "test"}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for i, c := range res.Response.Cards {
		if !strings.Contains(text, "\n"+strconv.Itoa(i+1)+". "+strings.ToUpper(c.Indicator)+"  "+c.Summary+"\n") {
			t.Errorf("text lacks card %d %q", i+1, c.Summary)
		}
		for _, or := range c.OverrideReasons {
			if !strings.Contains(text, or.Display) {
				t.Errorf("text lacks override reason %q", or.Display)
			}
		}
	}
	if strings.Contains(text, `\n`) || strings.Contains(text, `\"`) || strings.Contains(text, "\x1b[") {
		t.Errorf("text has JSON escapes or colours:\n%s", text)
	}
	if !strings.HasPrefix(text, "patient-view (fracturecds-patient-view), as of 2013-12-16 (test), language en (--lang nl for Dutch)\n") {
		t.Errorf("header: %q", strings.SplitN(text, "\n", 2)[0])
	}
	var raw map[string]any
	if json.Unmarshal(res.Body, &raw) != nil {
		t.Error("the result body is not the service's JSON")
	}
}

// TestPageSaysWhenTheDatePrecedesTheRecord: stepping back before the day a
// record was made shows the later entries too, and the page says so.
func TestPageSaysWhenTheDatePrecedesTheRecord(t *testing.T) {
	h := newDemo(t)
	for _, tc := range []struct {
		query string
		early bool
	}{
		{"case=S4-casus3-alendronate-5y&asof=2023-06-01", true},
		{"case=S4-casus3-alendronate-5y&asof=2025-06-01", false},
		{"case=S4-casus3-alendronate-5y", false},
		{"case=S1-mtx-casus1-fracture&asof=2014-01-19", false},
		{"case=S1-mtx-casus1-fracture&asof=2013-01-01", true},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil))
		if got := strings.Contains(rec.Body.String(), `id="early"`); got != tc.early {
			t.Errorf("%s: early note shown = %v, want %v", tc.query, got, tc.early)
		}
	}
}

// TestAppLinksPerCase: the slot where apps for a case's patient (the
// bone-health SMART app) are linked, with the case and date they open.
func TestAppLinksPerCase(t *testing.T) {
	h, err := NewHandler(Config{Service: service, Files: repoFiles(t), AppLinks: func(c Case, asOf time.Time) []Link {
		if c.ID != "S4-casus3-alendronate-5y" {
			return nil
		}
		return []Link{{Label: "Bone health", URL: "http://127.0.0.1:9999/launch?case=" + c.ID + "&asof=" + asOf.Format(time.DateOnly)}}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, want string }{
		{"case=S4-casus3-alendronate-5y&asof=2024-02-03", `<a class="app" href="http://127.0.0.1:9999/launch?case=S4-casus3-alendronate-5y&amp;asof=2024-02-03">Bone health</a>`},
		{"case=S1-mtx-casus1-fracture", `id="apps" data-case="S1-mtx-casus1-fracture"`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?"+tc.query, nil))
		if !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%s: page lacks %s", tc.query, tc.want)
		}
		if apps := strings.Count(rec.Body.String(), `class="app"`); apps != strings.Count(tc.want, `class="app"`) {
			t.Errorf("%s: %d app links", tc.query, apps)
		}
	}
}
