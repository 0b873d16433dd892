package admin

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed templates/report.html
var templates embed.FS

// reportTemplate is parsed on the first /report request, not at package
// initialisation: most processes never render the report, and parsing
// it at start-up cost every process about 50 KB of heap, 0.25 ms and
// the template parser's code pages. The template is embedded, so a
// parse error is a build defect the report tests catch.
var reportTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html").Funcs(template.FuncMap{
		"pct":       func(r float64) string { return fmt.Sprintf("%.1f%%", r*100) },
		"add":       func(a, b int) int { return a + b },
		"sub":       func(a, b int) int { return a - b },
		"topicName": topicName,
	}).ParseFS(templates, "templates/report.html"))
})

// Small-multiple geometry, in SVG user units (report.html sizes the
// figure to chartWidth too): one chart per topic, all
// on the same axes, so that topics compare at a glance where one chart
// with a line per topic became a tangle at 30 days and six topics.
const (
	chartWidth  = 340
	chartHeight = 150
	chartLeft   = 38
	chartRight  = chartWidth - 10
	chartTop    = 10
	chartBottom = chartHeight - 24
)

type point struct {
	X, Y  int
	Title string
}

type tick struct {
	X, Y  int
	Label string
	// Anchor is the SVG text-anchor: the first and last day labels sit
	// inside the chart instead of being cut at its edges.
	Anchor string
}

type bar struct {
	X, Y, W, H int
	Title      string
}

// topicChart is the small chart of one topic: acceptance per day of
// issue as a line, cards issued per day as bars behind it.
type topicChart struct {
	Topic, Name string
	Counts
	Points string
	Dots   []point
	Bars   []bar
	// MaxIssued labels the bars' scale (the tallest bar).
	MaxIssued int64
}

// charts is the set of small multiples and their shared axes.
type charts struct {
	Width, Height, Left, Right, Top, Bottom int
	YTicks, XTicks                          []tick
	Topics                                  []topicChart
}

type reportView struct {
	Analytics
	FromDate, ToDate string
	RawQuery         string
	Generated        string
	Charts           charts
}

// ReportHandler serves GET /report: the analytics of the same query
// parameters as /analytics, as one self-contained HTML page with a small
// inline SVG chart of acceptance per day for each topic, topics by name.
// It needs no external assets and no JavaScript.
func ReportHandler(src Source, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := ParseQuery(r.URL.Query(), now())
		if err != nil {
			http.Error(w, "bad query: "+err.Error(), http.StatusBadRequest)
			return
		}
		a, err := src.Analytics(r.Context(), q)
		if err != nil {
			http.Error(w, "analytics query failed", http.StatusInternalServerError)
			return
		}
		v := reportView{
			Analytics: a,
			FromDate:  a.From.Format(time.RFC3339),
			ToDate:    a.To.Format(time.RFC3339),
			RawQuery:  r.URL.RawQuery,
			Generated: now().UTC().Format(time.RFC3339),
			Charts:    buildCharts(a.Series),
		}
		var buf bytes.Buffer
		if err := reportTemplate().Execute(&buf, v); err != nil {
			http.Error(w, "report rendering failed", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		// Nothing external is loaded; say so to the browser as well.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		_, _ = w.Write(buf.Bytes())
	})
}

// buildCharts lays out one small chart per topic over the days that have
// cards, the topics with the most cards first.
func buildCharts(series []SeriesPoint) charts {
	c := charts{Width: chartWidth, Height: chartHeight, Left: chartLeft, Right: chartRight, Top: chartTop, Bottom: chartBottom}
	var days []string
	for _, p := range series {
		days = append(days, p.Day)
	}
	slices.Sort(days)
	days = slices.Compact(days)
	if len(days) == 0 {
		return c
	}
	x := func(i int) int {
		if len(days) == 1 {
			return (chartLeft + chartRight) / 2
		}
		return chartLeft + i*(chartRight-chartLeft)/(len(days)-1)
	}
	y := func(rate float64) int { return chartBottom - int(rate*float64(chartBottom-chartTop)+0.5) }
	for _, pct := range []int{0, 50, 100} {
		c.YTicks = append(c.YTicks, tick{Y: y(float64(pct) / 100), Label: fmt.Sprintf("%d%%", pct)})
	}
	// First, middle and last day: more labels do not fit a small chart.
	for _, i := range slices.Compact([]int{0, (len(days) - 1) / 2, len(days) - 1}) {
		anchor := "middle"
		switch {
		case len(days) == 1:
		case i == 0:
			anchor = "start"
		case i == len(days)-1:
			anchor = "end"
		}
		c.XTicks = append(c.XTicks, tick{X: x(i), Label: days[i][5:], Anchor: anchor})
	}
	dayIndex := map[string]int{}
	for i, d := range days {
		dayIndex[d] = i
	}
	// Bars are as wide as a day's share of the axis, with a gap.
	barW := max(2, (chartRight-chartLeft)/len(days)-2)
	var byTopic []*topicChart
	for _, p := range series { // ordered by topic, then day
		if len(byTopic) == 0 || byTopic[len(byTopic)-1].Topic != p.Topic {
			byTopic = append(byTopic, &topicChart{Topic: p.Topic, Name: topicName(p.Topic)})
		}
		tc := byTopic[len(byTopic)-1]
		tc.Issued += p.Issued
		tc.Accepted += p.Accepted
		tc.Overridden += p.Overridden
		tc.MaxIssued = max(tc.MaxIssued, p.Issued)
	}
	i := 0
	for _, p := range series {
		if byTopic[i].Topic != p.Topic {
			i++
		}
		tc := byTopic[i]
		px, py := x(dayIndex[p.Day]), y(p.AcceptanceRate)
		if tc.Points != "" {
			tc.Points += " "
		}
		tc.Points += fmt.Sprintf("%d,%d", px, py)
		tc.Dots = append(tc.Dots, point{X: px, Y: py, Title: fmt.Sprintf("%s %s: %d of %d accepted (%.1f%%)", tc.Name, p.Day, p.Accepted, p.Issued, p.AcceptanceRate*100)})
		if tc.MaxIssued > 0 {
			h := int(float64(p.Issued) / float64(tc.MaxIssued) * float64(chartBottom-chartTop) * 0.9)
			tc.Bars = append(tc.Bars, bar{X: px - barW/2, Y: chartBottom - h, W: barW, H: h, Title: fmt.Sprintf("%s %s: %d cards issued", tc.Name, p.Day, p.Issued)})
		}
	}
	for _, tc := range byTopic {
		tc.SetRate()
		c.Topics = append(c.Topics, *tc)
	}
	slices.SortStableFunc(c.Topics, func(a, b topicChart) int {
		return cmp.Or(cmp.Compare(b.Issued, a.Issued), strings.Compare(a.Topic, b.Topic))
	})
	return c
}
