package admin

import (
	"bytes"
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
		"pct": func(r float64) string { return fmt.Sprintf("%.1f%%", r*100) },
		"add": func(a, b int) int { return a + b },
		"sub": func(a, b int) int { return a - b },
	}).ParseFS(templates, "templates/report.html"))
})

// palette colours the topic lines: distinguishable, readable on white.
var palette = []string{"#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83", "#bf3989", "#6e7781", "#4d2d00", "#0550ae"}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 1000
	chartHeight = 320
	chartLeft   = 56
	chartRight  = chartWidth - 24
	chartTop    = 16
	chartBottom = chartHeight - 32
	// maxXLabels keeps day labels from overlapping.
	maxXLabels = 12
)

type point struct {
	X, Y  int
	Title string
}

type tick struct {
	X, Y  int
	Label string
}

type line struct {
	Topic, Color string
	Points       string
	Dots         []point
}

type chart struct {
	Width, Height, Left, Right, Bottom int
	YTicks, XTicks                     []tick
	Lines                              []line
}

type reportView struct {
	Analytics
	FromDate, ToDate string
	RawQuery         string
	Generated        string
	Chart            chart
}

// ReportHandler serves GET /report: the analytics of the same query
// parameters as /analytics, as one self-contained HTML page with an
// inline SVG chart of acceptance per topic per day. It needs no external
// assets and no JavaScript.
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
			Chart:     buildChart(a.Series),
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

// buildChart lays out one line per topic over the days that have cards.
func buildChart(series []SeriesPoint) chart {
	c := chart{Width: chartWidth, Height: chartHeight, Left: chartLeft, Right: chartRight, Bottom: chartBottom}
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
	for _, pct := range []int{0, 25, 50, 75, 100} {
		c.YTicks = append(c.YTicks, tick{Y: y(float64(pct) / 100), Label: fmt.Sprintf("%d%%", pct)})
	}
	step := (len(days) + maxXLabels - 1) / maxXLabels
	for i, d := range days {
		if i%step == 0 || i == len(days)-1 {
			c.XTicks = append(c.XTicks, tick{X: x(i), Label: d[5:]})
		}
	}
	dayIndex := map[string]int{}
	for i, d := range days {
		dayIndex[d] = i
	}
	var cur *line
	var pts []string
	flush := func() {
		if cur != nil {
			cur.Points = strings.Join(pts, " ")
			c.Lines = append(c.Lines, *cur)
		}
	}
	for _, p := range series { // ordered by topic, then day
		if cur == nil || cur.Topic != p.Topic {
			flush()
			cur = &line{Topic: p.Topic, Color: palette[len(c.Lines)%len(palette)]}
			pts = nil
		}
		px, py := x(dayIndex[p.Day]), y(p.AcceptanceRate)
		pts = append(pts, fmt.Sprintf("%d,%d", px, py))
		cur.Dots = append(cur.Dots, point{X: px, Y: py, Title: fmt.Sprintf("%s %s: %d of %d accepted (%.1f%%)", p.Topic, p.Day, p.Accepted, p.Issued, p.AcceptanceRate*100)})
	}
	flush()
	return c
}
