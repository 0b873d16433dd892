package bonehealth

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/fracturecds/fracturecds/rules"
)

//go:embed page.html.tmpl
var templateFS embed.FS

var pageTemplate = template.Must(template.New("page.html.tmpl").Funcs(template.FuncMap{
	"tr": func(lang, nl, en string) string {
		if lang == "en" {
			return en
		}
		return nl
	},
}).ParseFS(templateFS, "page.html.tmpl"))

// Render writes the bone-health page of facts in lang ("nl" or "en"): the
// timeline the rules compute (rules.BuildTimeline) and the findings they
// give (rules.Evaluate). It needs no FHIR server, so the demo can show the
// same view for its example patients. styleNonce is the CSP nonce of the
// page's one <style> element ("" for none).
func Render(w io.Writer, facts rules.Facts, th rules.Thresholds, lang, styleNonce string) error {
	if lang != "en" {
		lang = "nl"
	}
	m := buildPage(facts, th, lang)
	m.StyleNonce = styleNonce
	return pageTemplate.Execute(w, m)
}

// page is the template's model. Every number is formatted here, in the
// page's language, so the template only places strings.
type page struct {
	Lang, OtherLang string
	StyleNonce      string
	AsOf            string
	PatientLine     string
	Findings        []findingView
	Series          []seriesView
	Treatment       treatmentView
	Labs            []labView
	Axis            []tick
}

type findingView struct {
	Indicator, Summary string
	Evidence           []evidenceView
}

type evidenceView struct{ Label, Value, Date string }

type labView struct{ Name, Value, Unit, Date, Range string }

type tick struct {
	X     string
	Label string
}

// Chart geometry, in SVG user units.
const (
	chartWidth  = 760.0
	chartLeft   = 150.0
	chartRight  = 20.0
	plotHeight  = 160.0
	plotTop     = 14.0
	laneHeight  = 26.0
	axisHeight  = 22.0
	futureYears = 1
)

// timeAxis maps dates to x positions.
type timeAxis struct{ start, end time.Time }

func (a timeAxis) x(t time.Time) float64 {
	span := a.end.Sub(a.start).Hours()
	if span <= 0 {
		return chartLeft
	}
	f := t.Sub(a.start).Hours() / span
	f = math.Max(0, math.Min(1, f))
	return chartLeft + f*(chartWidth-chartLeft-chartRight)
}

func (a timeAxis) within(t time.Time) bool { return !t.Before(a.start) && !t.After(a.end) }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func buildPage(facts rules.Facts, th rules.Thresholds, lang string) page {
	tl := rules.BuildTimeline(facts, th)
	p := page{Lang: lang, OtherLang: map[string]string{"nl": "en", "en": "nl"}[lang], AsOf: rules.FormatDate(tl.AsOf)}
	tr := func(nl, en string) string { return rules.Text{NL: nl, EN: en}.In(lang) }
	if age, ok := facts.Patient.AgeAt(tl.AsOf); ok {
		p.PatientLine = fmt.Sprintf("%s, %d %s", rules.GenderText(facts.Patient.Gender).In(lang), age, tr("jaar", "years"))
	} else {
		p.PatientLine = rules.GenderText(facts.Patient.Gender).In(lang)
	}

	for _, f := range rules.Evaluate(facts, th) {
		fv := findingView{Indicator: string(f.Indicator), Summary: f.Summary.In(lang)}
		for _, e := range f.Evidence {
			v := e.ValueIn(lang)
			if u := e.UnitIn(lang); u != "" {
				v += " " + u
			}
			fv.Evidence = append(fv.Evidence, evidenceView{Label: e.Label.In(lang), Value: v, Date: rules.FormatDate(e.Date)})
		}
		p.Findings = append(p.Findings, fv)
	}

	ax := axisFor(tl)
	for y := ax.start.Year() + 1; y <= ax.end.Year(); y++ {
		t := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		p.Axis = append(p.Axis, tick{X: f1(ax.x(t)), Label: strconv.Itoa(y)})
	}
	for _, s := range tl.Series {
		p.Series = append(p.Series, buildSeries(s, ax, th, lang))
	}
	p.Treatment = buildTreatment(tl, ax, lang)

	for _, l := range tl.Labs {
		lv := labView{Name: analyteText(l.Analyte).In(lang), Value: l.DisplayText().In(lang), Unit: l.Analyte.CanonicalUnit(), Date: rules.FormatDate(l.Date)}
		if l.RefLow != nil && l.RefHigh != nil {
			lv.Range = rules.NumberText(*l.RefLow).In(lang) + "–" + rules.NumberText(*l.RefHigh).In(lang)
		}
		p.Labs = append(p.Labs, lv)
	}
	return p
}

// axisFor spans every dated item of the timeline, up to a year past T so
// that due dates and windows ahead are visible.
func axisFor(tl rules.Timeline) timeAxis {
	start := tl.AsOf
	see := func(t time.Time) {
		if !t.IsZero() && t.Before(start) {
			start = t
		}
	}
	for _, s := range tl.Series {
		for _, pt := range s.Points {
			see(pt.Date)
		}
	}
	for _, f := range tl.Fractures {
		see(f.Condition.Onset)
	}
	if bp := tl.Bisphosphonate; bp != nil {
		see(bp.Start)
	}
	if dm := tl.Denosumab; dm != nil {
		see(dm.Doses[0].Date)
	}
	for _, group := range [][]rules.Episode{tl.Teriparatide, tl.Romosozumab, tl.Glucocorticoids, tl.Methotrexate} {
		for _, e := range group {
			see(e.Start)
		}
	}
	start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -3, 0)
	return timeAxis{start: start, end: tl.AsOf.AddDate(futureYears, 0, 0)}
}

// seriesView is one site's chart and table.
type seriesView struct {
	ID, Title, Measure, LSC string
	Height                  string
	Ticks                   []yTick
	Bands                   []rect
	Path                    string
	Points                  []pointView
	Rows                    []rowView
	Lines                   []hline
}

type yTick struct{ Y, Label string }
type rect struct{ X, Y, W, H, Label, Class string }
type hline struct{ Y, Label string }

type pointView struct {
	X, Y, Label, Change, Title string
	Significant, Implausible   bool
}

type rowView struct {
	Date, BMD, TScore, WHO, Change, Verdict string
	Implausible                             bool
}

func buildSeries(s rules.DXASeries, ax timeAxis, th rules.Thresholds, lang string) seriesView {
	tr := func(nl, en string) string { return rules.Text{NL: nl, EN: en}.In(lang) }
	num := func(v float64, prec int) string {
		return rules.Text{NL: rules.NumberNL(strconv.FormatFloat(v, 'f', prec, 64)), EN: strconv.FormatFloat(v, 'f', prec, 64)}.In(lang)
	}
	title := rules.SiteText(s.Site).In(lang)
	switch s.Laterality {
	case "left":
		title += tr(" links", " left")
	case "right":
		title += tr(" rechts", " right")
	}
	v := seriesView{ID: "dxa-" + string(s.Site) + "-" + s.Laterality, Title: title, Height: f1(plotTop + plotHeight + axisHeight)}
	if s.LSCPct > 0 {
		v.LSC = tr("kleinste significante verandering (LSC) ", "least significant change (LSC) ") + num(s.LSCPct, 0) + " %"
	}

	useBMD := false
	for _, pt := range s.Points {
		useBMD = useBMD || pt.HasBMD
	}
	val := func(pt rules.DXAPoint) (float64, bool) {
		if useBMD {
			return pt.BMD, pt.HasBMD
		}
		return pt.TScore, pt.HasTScore
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, pt := range s.Points {
		if x, ok := val(pt); ok {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
			if useBMD && s.LSCPct > 0 && i < len(s.Points)-1 {
				lo, hi = math.Min(lo, x*(1-s.LSCPct/100)), math.Max(hi, x*(1+s.LSCPct/100))
			}
		}
	}
	if useBMD {
		v.Measure = "BMD (g/cm²)"
		pad := math.Max((hi-lo)*0.15, 0.02)
		lo, hi = lo-pad, hi+pad
	} else {
		v.Measure = "T-score"
		lo, hi = math.Min(lo, th.TScoreOsteoporosis)-0.5, math.Max(hi, th.TScoreOsteopeniaUpper)+0.5
	}
	y := func(x float64) float64 { return plotTop + (hi-x)/(hi-lo)*plotHeight }
	for i := 0; i <= 4; i++ {
		x := lo + (hi-lo)*float64(i)/4
		prec := 1
		if useBMD {
			prec = 3
		}
		v.Ticks = append(v.Ticks, yTick{Y: f1(y(x)), Label: num(x, prec)})
	}
	if !useBMD {
		v.Lines = []hline{
			{Y: f1(y(th.TScoreOsteoporosis)), Label: tr("osteoporose ", "osteoporosis ") + num(th.TScoreOsteoporosis, 1)},
			{Y: f1(y(th.TScoreOsteopeniaUpper)), Label: tr("osteopenie ", "osteopenia ") + num(th.TScoreOsteopeniaUpper, 1)},
		}
	}

	// The LSC band: around each BMD, until the next one, the range a
	// change must leave to count as real.
	prev := -1
	for i, pt := range s.Points {
		if !pt.HasBMD || !useBMD {
			continue
		}
		if prev >= 0 && s.LSCPct > 0 {
			old := s.Points[prev]
			top, bottom := y(old.BMD*(1+s.LSCPct/100)), y(old.BMD*(1-s.LSCPct/100))
			x0, x1 := ax.x(old.Date), ax.x(pt.Date)
			v.Bands = append(v.Bands, rect{X: f1(x0), Y: f1(top), W: f1(math.Max(x1-x0, 1)), H: f1(bottom - top), Class: "lsc",
				Label: tr("LSC-band ±", "LSC band ±") + num(s.LSCPct, 0) + " % " + tr("rond ", "around ") + num(old.BMD, 3)})
		}
		prev = i
	}

	for _, pt := range s.Points {
		row := rowView{Date: rules.FormatDate(pt.Date), Implausible: pt.Implausible}
		if pt.HasBMD {
			row.BMD = num(pt.BMD, 3)
		}
		if pt.HasTScore {
			row.TScore = num(pt.TScore, 1)
			row.WHO = pt.WHO.Text().In(lang)
		}
		pv := pointView{Significant: pt.Significant && !pt.Unreliable, Implausible: pt.Implausible}
		if pt.HasChange {
			row.Change = signed(pt.ChangePct, lang) + " %"
			pv.Change = row.Change
			switch {
			case pt.Unreliable:
				row.Verdict = tr("onbetrouwbaar: wervelfractuur (kan BMD verhogen)", "unreliable: vertebral fracture (can raise the BMD)")
			case pt.Implausible:
				row.Verdict = tr("onwaarschijnlijke verandering: controleer de meting", "implausible change: check the measurement")
			case pt.Significant:
				row.Verdict = tr("significant (groter dan LSC)", "significant (exceeds LSC)")
			case s.LSCPct > 0:
				row.Verdict = tr("binnen LSC (niet significant)", "within LSC (not significant)")
			}
		}
		v.Rows = append(v.Rows, row)
		x, ok := val(pt)
		if !ok || !ax.within(pt.Date) {
			continue
		}
		pv.X, pv.Y = f1(ax.x(pt.Date)), f1(y(x))
		if useBMD {
			pv.Label = row.BMD
		} else {
			pv.Label = row.TScore
		}
		pv.Title = row.Date + ": " + pv.Label
		if row.WHO != "" {
			pv.Title += " (" + row.WHO + ")"
		}
		if row.Change != "" {
			pv.Title += ", " + row.Change + " " + row.Verdict
		}
		if v.Path == "" {
			v.Path = "M" + pv.X + " " + pv.Y
		} else {
			v.Path += " L" + pv.X + " " + pv.Y
		}
		v.Points = append(v.Points, pv)
	}
	return v
}

// signed renders a change with its sign, one decimal, Dutch comma in
// Dutch ("+8,0").
func signed(v float64, lang string) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if v > 0 {
		s = "+" + s
	}
	if lang == "en" {
		return s
	}
	return rules.NumberNL(s)
}

// treatmentView is the time chart of fractures and treatments.
type treatmentView struct {
	Height string
	Today  string
	Lanes  []laneView
	// Rows are the chart's text alternative, one per bar or mark.
	Rows []treatmentRow
}

type laneView struct {
	Label, Y, TextY string
	Bars            []rect
	Marks           []mark
}

type mark struct {
	X, Y, CY, Label, Title, Kind string
}

type treatmentRow struct{ What, From, To, Note string }

func buildTreatment(tl rules.Timeline, ax timeAxis, lang string) treatmentView {
	tr := func(nl, en string) string { return rules.Text{NL: nl, EN: en}.In(lang) }
	var tv treatmentView
	addLane := func(label string) *laneView {
		i := len(tv.Lanes)
		top := plotTop + float64(i)*laneHeight
		tv.Lanes = append(tv.Lanes, laneView{Label: label, Y: f1(top + 5), TextY: f1(top + 17)})
		return &tv.Lanes[i]
	}
	bar := func(l *laneView, from, to time.Time, label, class string) {
		if to.Before(ax.start) || from.After(ax.end) {
			return
		}
		x0, x1 := ax.x(from), ax.x(to)
		l.Bars = append(l.Bars, rect{X: f1(x0), Y: l.Y, W: f1(math.Max(x1-x0, 2)), H: f1(laneHeight - 10), Label: label, Class: class})
	}
	pin := func(l *laneView, at time.Time, label, title, kind string) {
		if at.IsZero() || !ax.within(at) {
			return
		}
		cy, _ := strconv.ParseFloat(l.Y, 64)
		l.Marks = append(l.Marks, mark{X: f1(ax.x(at)), Y: l.Y, CY: f1(cy + (laneHeight-10)/2), Label: label, Title: title, Kind: kind})
	}
	row := func(what string, from, to time.Time, note string) {
		tv.Rows = append(tv.Rows, treatmentRow{What: what, From: rules.FormatDate(from), To: rules.FormatDate(to), Note: note})
	}
	names := func(e rules.Episode) string {
		seen := map[string]bool{}
		out := ""
		for _, m := range e.Records {
			n := m.DisplayName().In(lang)
			if n == "" {
				n = m.Code
			}
			if n != "" && !seen[n] {
				seen[n] = true
				if out != "" {
					out += ", "
				}
				out += n
			}
		}
		return out
	}
	episodeTo := func(e rules.Episode) time.Time {
		if e.Open || e.End.After(tl.AsOf) {
			return tl.AsOf
		}
		return e.End
	}
	ongoing := func(e rules.Episode) string {
		if e.Open {
			return tr("loopt nog", "ongoing")
		}
		return ""
	}

	if len(tl.Fractures) > 0 {
		l := addLane(tr("Fracturen", "Fractures"))
		for _, f := range tl.Fractures {
			c := f.Condition
			what := tr("Fractuur", "Fracture")
			switch {
			case c.Has(rules.ConceptHipFracture):
				what = tr("Heupfractuur", "Hip fracture")
			case c.Has(rules.ConceptVertebralFracture):
				what = tr("Wervelfractuur", "Vertebral fracture")
			}
			note := c.Code
			if f.VFA {
				note += fmt.Sprintf(tr("; VFA Genant graad %d", "; VFA Genant grade %d"), c.GenantGrade)
			}
			if !f.Counted {
				note += tr("; niet meegeteld als fractuur", "; not counted as a fracture")
			}
			if f.OnTreatment {
				note += tr("; tijdens behandeling", "; on treatment")
			} else {
				note += tr("; zonder behandeling", "; off treatment")
			}
			if c.Onset.IsZero() {
				note += tr("; datum onbekend", "; date unknown")
			}
			row(what, c.Onset, time.Time{}, note)
			kind := "fracture"
			if f.OnTreatment {
				kind = "fracture-on-treatment"
			}
			pin(l, c.Onset, "", what+" "+rules.FormatDate(c.Onset)+" ("+note+")", kind)
		}
	}

	if bp := tl.Bisphosphonate; bp != nil {
		l := addLane(tr("Bisfosfonaat", "Bisphosphonate"))
		for _, e := range bp.Oral {
			bar(l, e.Start, episodeTo(e), names(e), "use")
			row(names(e), e.Start, episodeTo(e), ongoing(e))
		}
		for i, z := range bp.Infusions {
			bar(l, z.Start, z.Start.AddDate(1, 0, 0), tr("zoledroninezuur (1 jaar dekking)", "zoledronic acid (1 year of cover)"), "cover")
			pin(l, z.Start, "", fmt.Sprintf(tr("Zoledroninezuur-infuus %d", "Zoledronic acid infusion %d"), i+1), "dose")
			row(fmt.Sprintf(tr("Zoledroninezuur-infuus %d", "Zoledronic acid infusion %d"), i+1), z.Start, z.Start.AddDate(1, 0, 0), tr("telt als 1 jaar", "counts as 1 year"))
		}
		years := f1(float64(bp.Days) / 365.25)
		if lang != "en" {
			years = rules.NumberNL(years)
		}
		row(tr("Bisfosfonaat cumulatief", "Bisphosphonate, cumulative"), bp.Start, bp.End, years+tr(" jaar", " years"))
		if !bp.ReviewAt.IsZero() {
			pin(l, bp.ReviewAt, tr("5 j", "5 y"), tr("5-jaarsevaluatie ", "5-year review ")+rules.FormatDate(bp.ReviewAt), "milestone")
			row(tr("5-jaarsevaluatie", "5-year review"), bp.ReviewAt, time.Time{}, "")
		}
		if !bp.MaxAt.IsZero() {
			pin(l, bp.MaxAt, tr("10 j", "10 y"), tr("10 jaar (maximum) ", "10 years (maximum) ")+rules.FormatDate(bp.MaxAt), "milestone")
			row(tr("10 jaar (maximum)", "10 years (maximum)"), bp.MaxAt, time.Time{}, "")
		}
		if !bp.HolidayReevalAt.IsZero() {
			bar(l, bp.End, bp.HolidayReevalAt, "drug holiday", "holiday")
			pin(l, bp.HolidayReevalAt, tr("herbeoord.", "re-eval."), tr("Herbeoordeling na drug holiday ", "Re-evaluation after drug holiday ")+rules.FormatDate(bp.HolidayReevalAt), "milestone")
			row(tr("Drug holiday", "Drug holiday"), bp.End, bp.HolidayReevalAt, tr("herbeoordeling op ", "re-evaluation on ")+rules.FormatDate(bp.HolidayReevalAt))
		}
	}

	if dm := tl.Denosumab; dm != nil {
		l := addLane(tr("Denosumab", "Denosumab"))
		for i, d := range dm.Doses {
			next := dm.NextDue
			if i+1 < len(dm.Doses) {
				next = dm.Doses[i+1].Date
			}
			bar(l, d.Date, next, tr("denosumab-dosis", "denosumab dose"), "cover")
			note := ""
			if d.Weak {
				note = tr("alleen voorschrijfdatum", "prescription date only")
			}
			pin(l, d.Date, "", fmt.Sprintf(tr("Dosis %d op %s", "Dose %d on %s"), i+1, rules.FormatDate(d.Date)), "dose")
			row(fmt.Sprintf(tr("Denosumab dosis %d", "Denosumab dose %d"), i+1), d.Date, time.Time{}, note)
		}
		due := tr("volgende dosis verwacht", "next dose due")
		if dm.Overdue {
			due = fmt.Sprintf(tr("volgende dosis te laat: %d dagen", "next dose overdue: %d days"), dm.DaysLate)
		}
		bar(l, dm.NextDue, dm.LateCritical, due, "due")
		pin(l, dm.NextDue, tr("verwacht", "due"), due+" "+rules.FormatDate(dm.NextDue), "due")
		row(tr("Denosumab volgende dosis", "Denosumab next dose"), dm.NextDue, dm.LateCritical, due)
		pin(l, dm.ZolWindow, "ZOL", tr("Zoledroninezuur bij stoppen: laatste dosis + 6 maanden, ", "Zoledronic acid when stopping: last dose + 6 months, ")+rules.FormatDate(dm.ZolWindow), "milestone")
		row(tr("Zoledroninezuur-venster bij stoppen", "Zoledronic acid window when stopping"), dm.ZolWindow, time.Time{}, tr("laatste dosis + 6 maanden", "last dose + 6 months"))
	}

	episodes := func(label string, eps []rules.Episode, note func(rules.Episode) string) {
		if len(eps) == 0 {
			return
		}
		l := addLane(label)
		for _, e := range eps {
			bar(l, e.Start, episodeTo(e), names(e), "use")
			n := ongoing(e)
			if note != nil {
				if x := note(e); x != "" {
					if n != "" {
						n += "; "
					}
					n += x
				}
			}
			row(label+": "+names(e), e.Start, episodeTo(e), n)
		}
	}
	if len(tl.Teriparatide) > 0 {
		months := float64(tl.TeriparatideDays) * 12 / 365.25
		episodes(tr("Teriparatide", "Teriparatide"), tl.Teriparatide, nil)
		m := f1(months)
		if lang != "en" {
			m = rules.NumberNL(m)
		}
		row(tr("Teriparatide totaal", "Teriparatide total"), time.Time{}, time.Time{}, fmt.Sprintf(tr("%s van %d maanden", "%s of %d months"), m, tl.TeriparatideMaxMonths))
	}
	episodes(tr("Romosozumab", "Romosozumab"), tl.Romosozumab, nil)
	episodes(tr("Glucocorticoïden", "Glucocorticoids"), tl.Glucocorticoids, func(e rules.Episode) string {
		return strconv.Itoa(rules.DaysBetween(e.Start, e.End)+1) + tr(" dagen", " days")
	})
	episodes(tr("Methotrexaat", "Methotrexate"), tl.Methotrexate, func(e rules.Episode) string {
		if !e.Open && !e.End.After(tl.AsOf) {
			return tr("gestopt op ", "stopped on ") + rules.FormatDate(e.End)
		}
		return ""
	})
	tv.Height = f1(plotTop + float64(len(tv.Lanes))*laneHeight + axisHeight)
	tv.Today = f1(ax.x(tl.AsOf))
	return tv
}

func analyteText(a rules.Analyte) rules.Text {
	switch a {
	case rules.AnalyteEGFR:
		return rules.Text{NL: "eGFR", EN: "eGFR"}
	case rules.AnalyteCalcium:
		return rules.Text{NL: "Calcium", EN: "Calcium"}
	case rules.AnalyteCalciumCorrected:
		return rules.Text{NL: "Calcium (gecorrigeerd)", EN: "Calcium (corrected)"}
	case rules.AnalyteVitaminD:
		return rules.Text{NL: "25-OH-vitamine D", EN: "25-OH vitamin D"}
	case rules.AnalyteALP:
		return rules.Text{NL: "Alkalische fosfatase", EN: "Alkaline phosphatase"}
	}
	return rules.Text{NL: string(a), EN: string(a)}
}

// errorTemplate is the page of a refused launch or a failed read.
var errorTemplate = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><title>fracturecds</title>
<style nonce="{{.Nonce}}">body{font-family:system-ui,sans-serif;margin:2rem;max-width:40rem}</style></head>
<body><main><h1>{{if eq .Lang "en"}}Bone health{{else}}Botgezondheid{{end}}</h1><p role="alert">{{.Msg}}</p></main></body></html>
`))
