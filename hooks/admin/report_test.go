package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2024, 3, 31, 12, 0, 0, 0, time.UTC)

// fakeSource answers with fixed analytics and remembers the query.
type fakeSource struct {
	a   Analytics
	got Query
	err error
}

func (f *fakeSource) Analytics(_ context.Context, q Query) (Analytics, error) {
	f.got = q
	a := f.a
	a.From, a.To, a.Service, a.Topic = q.From, q.To, q.Service, q.Topic
	return a, f.err
}

func counts(issued, accepted, overridden int64) Counts {
	c := Counts{Issued: issued, Accepted: accepted, Overridden: overridden}
	c.SetRate()
	return c
}

// sample has two services, three topics and a week of days: enough for a
// chart with several lines.
func sample() Analytics {
	a := Analytics{
		Totals:              counts(60, 27, 21),
		UnknownCardFeedback: 3,
		Topics: []TopicStats{
			{Service: "fracturecds-order-sign", Topic: "denosumab-no-stop-without-followup", Counts: counts(10, 8, 2),
				OverrideReasons: []ReasonCount{{System: "s", Code: "already-addressed", Count: 2}}},
			{Service: "fracturecds-patient-view", Topic: "fracture-case-finding", Counts: counts(30, 12, 11),
				OverrideReasons: []ReasonCount{{System: "s", Code: "patient-declined", Count: 7}, {Code: UnspecifiedReason, Count: 4}}},
			{Service: "fracturecds-patient-view", Topic: "vitamin-d-deficiency", Counts: counts(20, 7, 8), OverrideReasons: []ReasonCount{}},
		},
	}
	for i, topic := range []string{"denosumab-no-stop-without-followup", "fracture-case-finding", "vitamin-d-deficiency"} {
		for d := range 7 {
			day := time.Date(2024, 3, 20+d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			a.Series = append(a.Series, SeriesPoint{Topic: topic, Day: day, Counts: counts(10, int64((d+i*2)%10), 1)})
		}
	}
	return a
}

func TestAnalyticsQueryParameters(t *testing.T) {
	tests := []struct {
		query   string
		want    Query
		wantErr string
	}{
		{"", Query{From: testNow.Add(-DefaultWindow), To: testNow}, ""},
		{"from=2024-03-01&to=2024-03-08&service=fracturecds-order-sign&topic=vitamin-d-deficiency",
			Query{From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), Service: "fracturecds-order-sign", Topic: "vitamin-d-deficiency"}, ""},
		{"from=2024-03-01T10:00:00%2B01:00", Query{From: time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC), To: testNow}, ""},
		{"from=yesterday", Query{}, "from: want RFC 3339 or YYYY-MM-DD"},
		{"from=2024-03-08&to=2024-03-01", Query{}, "from must be before to"},
		{"topic=" + strings.Repeat("x", 200), Query{}, "at most 128 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			src := &fakeSource{a: sample()}
			rec := httptest.NewRecorder()
			AnalyticsHandler(src, func() time.Time { return testNow }).ServeHTTP(rec, httptest.NewRequest("GET", "/analytics?"+tt.query, nil))
			if tt.wantErr != "" {
				if rec.Code != 400 || !strings.Contains(rec.Body.String(), tt.wantErr) {
					t.Errorf("got %d %s, want 400 %q", rec.Code, rec.Body, tt.wantErr)
				}
				return
			}
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if d := cmp.Diff(tt.want, src.got); d != "" {
				t.Errorf("query (-want +got):\n%s", d)
			}
			var a Analytics
			if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if a.Totals != sample().Totals {
				t.Errorf("totals %+v", a.Totals)
			}
		})
	}
}

func TestSourceFailureIs500WithoutDetail(t *testing.T) {
	src := &fakeSource{err: errors.New("pq: password authentication failed for user secret")}
	for _, h := range []http.Handler{AnalyticsHandler(src, nil), ReportHandler(src, nil)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
			t.Errorf("got %d %s, want a generic 500", rec.Code, rec.Body)
		}
	}
}

func TestReportIsSelfContainedAndEscapesNames(t *testing.T) {
	a := sample()
	a.Topics[0].Topic = `<script>alert(1)</script>`
	rec := httptest.NewRecorder()
	ReportHandler(&fakeSource{a: a}, func() time.Time { return testNow }).ServeHTTP(rec, httptest.NewRequest("GET", "/report", nil))
	page := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("got %d %s", rec.Code, rec.Header())
	}
	if strings.Contains(page, "<script") {
		t.Error("a topic name reached the page unescaped")
	}
	// No external assets: nothing is loaded from anywhere.
	for _, bad := range []string{"src=", "<link", "@import", "url(", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("page references an external asset (%s)", bad)
		}
	}
	if strings.Contains(page, "ZgotmplZ") {
		t.Error("html/template rejected a value (ZgotmplZ) in the page")
	}
	if n := strings.Count(page, "<polyline"); n != 3 {
		t.Errorf("%d chart lines, want one per topic (3)", n)
	}
}

// TestReportRendersInHeadlessChromium serves the admin handler, has
// Debian's chromium take a screenshot of /report and dump its DOM, and
// reads the numbers back from what the browser rendered.
func TestReportRendersInHeadlessChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("FRACTURECDS_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("FRACTURECDS_REQUIRE_CHROMIUM=1 but chromium is not installed (apt-get install -y chromium)")
		}
		t.Skip("chromium not installed")
	}
	src := &fakeSource{a: sample()}
	srv := httptest.NewServer(NewHandler(Config{Analytics: AnalyticsHandler(src, nil), Report: ReportHandler(src, nil)}))
	defer srv.Close()
	pageURL := srv.URL + "/report?" + url.Values{"from": {"2024-03-20"}, "to": {"2024-03-27"}}.Encode()

	dir := t.TempDir()
	// Screenshots go to FRACTURECDS_SCREENSHOT_DIR when set, so CI can keep them.
	shotDir := dir
	if d := os.Getenv("FRACTURECDS_SCREENSHOT_DIR"); d != "" {
		shotDir = d
	}
	shot := filepath.Join(shotDir, "report.png")
	chromium := func(extra ...string) []byte {
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1200,900"}, extra...)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, append(args, pageURL)...).Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", extra, err)
		}
		return out
	}
	chromium("--screenshot=" + shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Fatalf("no screenshot (or a blank one) at %s: %v", shot, err)
	}
	dom := string(chromium("--dump-dom"))

	// The numbers, as the browser parsed them, back into Counts.
	readCounts := func(html string) Counts {
		var c Counts
		for metric, dst := range map[string]*int64{"issued": &c.Issued, "accepted": &c.Accepted, "overridden": &c.Overridden} {
			m := regexp.MustCompile(`data-metric="` + metric + `">(\d+)<`).FindStringSubmatch(html)
			if m == nil {
				t.Fatalf("no %s number in the rendered page", metric)
			}
			*dst, _ = strconv.ParseInt(m[1], 10, 64)
		}
		m := regexp.MustCompile(`data-metric="acceptance-rate">([\d.]+)%<`).FindStringSubmatch(html)
		if m == nil {
			t.Fatal("no acceptance rate in the rendered page")
		}
		pct, _ := strconv.ParseFloat(m[1], 64)
		c.AcceptanceRate = pct / 100
		return c
	}
	totals := regexp.MustCompile(`(?s)<table class="totals" id="totals">.*?</table>`).FindString(dom)
	approx := cmp.Comparer(func(a, b float64) bool { return a-b < 0.0005 && b-a < 0.0005 })
	if d := cmp.Diff(sample().Totals, readCounts(totals), approx); d != "" {
		t.Errorf("totals read back from the page (-want +got):\n%s", d)
	}
	if m := regexp.MustCompile(`data-metric="unknown-card-feedback">(\d+)<`).FindStringSubmatch(totals); m == nil || m[1] != "3" {
		t.Errorf("unknown-card feedback read back %v, want 3", m)
	}
	for _, tp := range sample().Topics {
		row := regexp.MustCompile(`(?s)<tr data-service="` + tp.Service + `" data-topic="` + tp.Topic + `">.*?</tr>`).FindString(dom)
		if row == "" {
			t.Errorf("no row for %s %s", tp.Service, tp.Topic)
			continue
		}
		if d := cmp.Diff(tp.Counts, readCounts(row), approx); d != "" {
			t.Errorf("%s %s read back (-want +got):\n%s", tp.Service, tp.Topic, d)
		}
	}
	if !strings.Contains(dom, "patient-declined 7, unspecified 4") {
		t.Error("override reasons not on the page")
	}
	if n := strings.Count(dom, "<polyline"); n != 3 {
		t.Errorf("%d chart lines rendered, want 3", n)
	}
	if src.got.From != time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC) {
		t.Errorf("the page's query did not reach the source: %+v", src.got)
	}
}
