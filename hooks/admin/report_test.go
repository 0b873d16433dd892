package admin

import (
	stdcmp "cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/hooks/hookstest/browser"
	"github.com/fracturecds/fracturecds/rules"
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
	if n, m := strings.Count(page, "<polyline"), strings.Count(page, `<figure class="topic-chart"`); n != 3 || m != 3 {
		t.Errorf("%d charts with %d lines, want one chart with one line per topic (3)", m, n)
	}
}

// month is the case that made one chart a tangle: 30 days of cards on six
// topics, with the topic table and totals computed from the same days.
func month() Analytics {
	topics := []string{rules.TopicFractureCaseFinding, rules.TopicVitaminDDeficiency, rules.TopicPretreatmentLabWorkup,
		rules.TopicDenosumabDoseOverdue, rules.TopicBoneRiskMedication, rules.TopicFallRiskAssessment}
	var a Analytics
	for i, topic := range topics {
		st := TopicStats{Service: "fracturecds-patient-view", Topic: topic, OverrideReasons: []ReasonCount{}}
		for d := range 30 {
			issued := int64(2 + (d*7+i*3)%11 + (len(topics)-i)*2)
			accepted := issued * int64((d+i*5)%10) / 10
			p := SeriesPoint{Topic: topic, Day: time.Date(2024, 3, 1+d, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), Counts: counts(issued, accepted, issued-accepted)}
			a.Series = append(a.Series, p)
			st.Issued += issued
			st.Accepted += accepted
			st.Overridden += issued - accepted
		}
		st.SetRate()
		a.Topics = append(a.Topics, st)
		a.Totals.Issued += st.Issued
		a.Totals.Accepted += st.Accepted
		a.Totals.Overridden += st.Overridden
	}
	a.Totals.SetRate()
	return a
}

// TestEveryTopicHasAName: the report shows every rule's topic by name.
func TestEveryTopicHasAName(t *testing.T) {
	for _, r := range rules.Catalog() {
		if topicNames[r.Topic] == "" {
			t.Errorf("topic %s has no name in topicNames", r.Topic)
		}
	}
}

// TestReportRendersInHeadlessChromium serves the admin handler to Debian's
// headless Chromium and reads back what the browser rendered: the numbers
// of the totals and the topic table, and for 30 days of six topics one
// small chart per topic, by name, most cards first, each with one line of
// 30 days. The screenshot goes to FRACTURECDS_SCREENSHOT_DIR when set.
func TestReportRendersInHeadlessChromium(t *testing.T) {
	ctx := browser.New(t, 2*time.Minute)
	src := &fakeSource{a: sample()}
	srv := httptest.NewServer(NewHandler(Config{Analytics: AnalyticsHandler(src, nil), Report: ReportHandler(src, nil)}))
	defer srv.Close()
	var dom string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/report?"+url.Values{"from": {"2024-03-20"}, "to": {"2024-03-27"}}.Encode()),
		chromedp.WaitVisible("#charts", chromedp.ByQuery),
		chromedp.OuterHTML("html", &dom, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}

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
		if !strings.Contains(row, topicNames[tp.Topic]) {
			t.Errorf("row of %s does not name the topic %q", tp.Topic, topicNames[tp.Topic])
		}
	}
	if !strings.Contains(dom, "patient-declined 7, unspecified 4") {
		t.Error("override reasons not on the page")
	}
	if src.got.From != time.Date(2024, 3, 20, 0, 0, 0, 0, time.UTC) {
		t.Errorf("the page's query did not reach the source: %+v", src.got)
	}

	// A month of six topics: six small charts, not one tangle.
	m := month()
	monthSrv := httptest.NewServer(NewHandler(Config{Report: ReportHandler(&fakeSource{a: m}, nil)}))
	defer monthSrv.Close()
	type renderedChart struct {
		Topic, Name, Caption string
		Lines, Points, Dots  int
		Width                float64
	}
	var got []renderedChart
	if err := chromedp.Run(ctx,
		chromedp.Navigate(monthSrv.URL+"/report?from=2024-03-01&to=2024-03-31"),
		chromedp.WaitVisible("#charts", chromedp.ByQuery),
		chromedp.Evaluate(`[...document.querySelectorAll("figure.topic-chart")].map(f => ({
			Topic: f.dataset.topic,
			Name: f.querySelector(".topic-name").textContent,
			Caption: f.querySelector("figcaption .sub").textContent,
			Lines: f.querySelectorAll("polyline").length,
			Points: f.querySelector("polyline").points.numberOfItems,
			Dots: f.querySelectorAll("circle").length,
			Width: f.querySelector("svg").getBoundingClientRect().width,
		}))`, &got),
	); err != nil {
		t.Fatal(err)
	}
	shotDir := t.TempDir()
	if d := os.Getenv("FRACTURECDS_SCREENSHOT_DIR"); d != "" {
		shotDir = d
	}
	shot := filepath.Join(shotDir, "report.png")
	if err := browser.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 10_000 {
		t.Fatalf("no screenshot (or a blank one) at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
	want := slices.Clone(m.Topics)
	slices.SortStableFunc(want, func(a, b TopicStats) int { return stdcmp.Compare(b.Issued, a.Issued) })
	var wantCharts []renderedChart
	for _, tp := range want {
		wantCharts = append(wantCharts, renderedChart{Topic: tp.Topic, Name: topicNames[tp.Topic],
			Caption: fmt.Sprintf("%d cards, %d accepted (%.1f%%)", tp.Issued, tp.Accepted, tp.AcceptanceRate*100),
			Lines:   1, Points: 30, Dots: 30, Width: chartWidth})
	}
	if d := cmp.Diff(wantCharts, got); d != "" {
		t.Errorf("charts as rendered (-want +got):\n%s", d)
	}
}
