package rules

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Shared BMD-change analysis for R23 dexa-change-lsc and R24
// dexa-change-implausible (rules.md §4 R23/R24, §6 D10). Both rules read
// the same analysis so that they never contradict each other: a site that
// R24 calls implausible or discordant is never called a "significant
// improvement" by R23.
//
// Pairing: per DXA site (lumbar spine, total hip, femoral neck) the newest
// BMD measurement at or before T is compared with the most recent earlier
// BMD at the same site, and the same laterality when both give one (a
// measurement without laterality pairs with either side). Several current
// measurements on the newest day (left and right hip) give one change each.
// A report-supplied percentage (Measure BMDChangePct, same day and site) is
// used only when no previous BMD exists; its FHIR encoding is UNVERIFIED
// (terminology.md §3).
//
// Δ% = (BMD_new − BMD_old) / BMD_old × 100, rounded to 0.1 % as DXA reports
// print it, before it is compared: the card never shows "3.0 %" next to
// "significant (> 3 %)". ΔBMD is rounded to 0.001 g/cm² (report precision).
//
// Significance (LSC_MODE):
//   - seed-fixed (default): |Δ%| > LSC_SPINE_PCT (3) for the lumbar spine,
//     > LSC_HIP_PCT (4) for total hip and femoral neck. SEED-GP "Verschil op
//     de lumbale wervelkom moet meer dan 3% zijn", "Verschil op de heup moet
//     meer dan 4% zijn".
//   - iscd-local: |ΔBMD| ≥ LSC = 2.77 × precision error (RMS-SD, g/cm²;
//     PRECISION_ERROR_SPINE, PRECISION_ERROR_HIP; the hip value serves total
//     hip and femoral neck). ISCD: "For a BMD change to be considered
//     statistically significant, it must equal or exceed the LSC". A
//     report-only percentage with a current BMD is converted to ΔBMD
//     (BMD_old = BMD_new / (1 + Δ%/100)); without a current BMD the
//     seed-fixed percentage applies and the card says so.
//
// Unreliable spine: a vertebral fracture (counted as by Context.Fractures,
// so Genant grade 1 only with VFA_GRADE1_COUNTS) dated on or before the
// newest spine measurement, or undated. SEED-GP "Let op bij lumbale
// wervelinzakking". Facts carry no vertebral level, so any such fracture
// marks the spine change "unreliable if the fracture lies within L1–L4";
// an unreliable spine change never drives a warning or a discordance.
//
// Implausible: |Δ%| > DXA_IMPLAUSIBLE_PCT (10, [DESIGN]) at any site.
// Discordant: a hip site significantly worse while a reliable spine is
// significantly better, or the reverse. SEED-GP "bij onverklaarbaar groot
// verschil of significante verslechtering van de heup terwijl wervelkolom
// verbeterd: overleg over uitslag DEXA".
//
// Recency: only a newest measurement ≤ DXA_RECENT_DAYS (90) old is
// analysed (as R05), so an old comparison is not announced forever.

// iscdLSCFactor is the ISCD least-significant-change multiplier at 95 %
// confidence: LSC = 2.77 × precision error (ISCD precision calculator
// glossary).
const iscdLSCFactor = 2.77

// dxaEps absorbs floating-point noise in "at the threshold" comparisons.
const dxaEps = 1e-9

// Citations of the DXA-change rules.
var (
	// CiteSeedGPDXAChange is the SEED-GP GP training deck (no public URL).
	CiteSeedGPDXAChange = Citation{
		Label: "Nascholing huisartsen 'Fractuurpreventie verdieping', dia's 'DEXA' en 'Significant verschil DEXA' (wervelkolom > 3 %, heup > 4 %; let op bij lumbale wervelinzakking)",
	}
	// CiteISCDPrecision is the ISCD precision calculator glossary.
	CiteISCDPrecision = Citation{
		Label: "ISCD precision calculator glossary: LSC = 2.77 × precision error; a change must equal or exceed the LSC",
		URL:   "https://www.iscd.org/resources/calculators/precision-calculator/glossary/",
	}
	// CiteOsteoporosisSolutionsLSC is a practice example using 3 % at hip
	// and spine (D10).
	CiteOsteoporosisSolutionsLSC = Citation{
		Label: "Osteoporosis Solutions: bone density quality assurance (3 % LSC at hip and spine)",
		URL:   "https://www.osteoporosissolutions.com.au/content/page/bone-density-measurements---quality-assurance.html",
	}
)

// bmdChange is the change at one DXA site between the newest measurement
// and the previous one.
type bmdChange struct {
	Site       Site
	Laterality string
	// Date is the date of the newest measurement.
	Date time.Time
	// Current is the newest BMD (HasCurrent false when only a report
	// percentage exists); Previous the earlier BMD (HasPrevious).
	Current, Previous       DXAMeasurement
	HasCurrent, HasPrevious bool
	// Reported is the report-supplied percentage, used when HasPrevious is
	// false.
	Reported DXAMeasurement
	// Pct is Δ% rounded to 0.1 %.
	Pct float64
	// Delta is ΔBMD in g/cm², rounded to 0.001 (HasDelta); DeltaDerived when
	// computed from a report percentage.
	Delta                  float64
	HasDelta, DeltaDerived bool
	// LSCFallback is true when iscd-local mode could not be applied (no
	// absolute BMD) and the seed-fixed percentage was used.
	LSCFallback bool

	Significant bool
	// Unreliable marks a spine change with a vertebral fracture on record.
	Unreliable bool
	// Implausible: |Δ%| > DXA_IMPLAUSIBLE_PCT; Discordant: part of a
	// hip-versus-spine discordance. Either makes R24 fire for this site.
	Implausible, Discordant bool
}

// flagged reports whether R24 owns this site.
func (b bmdChange) flagged() bool { return b.Implausible || b.Discordant }

// usable reports whether the change can drive a warning or discordance.
func (b bmdChange) usable() bool { return b.Significant && !b.Unreliable }

// dxaChangeAnalysis is the outcome shared by R23 and R24.
type dxaChangeAnalysis struct {
	Changes []bmdChange
	// VertebralFractures are the fractures that make the spine unreliable.
	VertebralFractures []Condition
}

func (a dxaChangeAnalysis) anyFlagged() bool {
	for _, ch := range a.Changes {
		if ch.flagged() {
			return true
		}
	}
	return false
}

func isHipSite(s Site) bool { return s == SiteTotalHip || s == SiteFemoralNeck }

// lateralityMatch: equal, or not given on one side.
func lateralityMatch(a, b string) bool { return a == "" || b == "" || a == b }

func bmdSameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// analyseDXAChanges pairs the measurements and classifies each change.
func analyseDXAChanges(c *Context) dxaChangeAnalysis {
	th := c.Thresholds
	var a dxaChangeAnalysis
	for _, site := range []Site{SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck} {
		var bmds, pcts []DXAMeasurement
		var newest time.Time
		for _, d := range c.Facts.DXA {
			if d.Site != site || d.Date.IsZero() || d.Date.After(c.Facts.AsOf) {
				continue
			}
			switch d.Measure {
			case BMD:
				if d.Value <= 0 {
					continue
				}
				bmds = append(bmds, d)
			case BMDChangePct:
				pcts = append(pcts, d)
			default:
				continue
			}
			if d.Date.After(newest) {
				newest = d.Date
			}
		}
		if newest.IsZero() || DaysBetween(newest, c.Facts.AsOf) > th.DXARecentDays {
			continue
		}
		sortDXA := func(ms []DXAMeasurement) {
			sort.SliceStable(ms, func(i, j int) bool {
				if !ms[i].Date.Equal(ms[j].Date) {
					return ms[i].Date.After(ms[j].Date)
				}
				if ms[i].Laterality != ms[j].Laterality {
					return ms[i].Laterality < ms[j].Laterality
				}
				return ms[i].Source < ms[j].Source
			})
		}
		sortDXA(bmds)
		sortDXA(pcts)

		// The current measurements: BMDs on the newest day, one per
		// laterality; else report percentages on that day.
		var currents []DXAMeasurement
		seen := map[string]bool{}
		for _, d := range bmds {
			if bmdSameDay(d.Date, newest) && !seen[d.Laterality] {
				seen[d.Laterality] = true
				currents = append(currents, d)
			}
		}
		for _, cur := range currents {
			ch := bmdChange{Site: site, Laterality: cur.Laterality, Date: cur.Date, Current: cur, HasCurrent: true}
			if prev, ok := previousBMD(bmds, cur); ok {
				ch.Previous, ch.HasPrevious = prev, true
				ch.Pct = round1((cur.Value - prev.Value) / prev.Value * 100)
				ch.Delta, ch.HasDelta = round3(cur.Value-prev.Value), true
			} else if rep, ok := reportedPct(pcts, newest, cur.Laterality); ok {
				ch.Reported = rep
				ch.Pct = round1(rep.Value)
				if 100+rep.Value > 0 {
					ch.Delta = round3(cur.Value - cur.Value/(1+rep.Value/100))
					ch.HasDelta, ch.DeltaDerived = true, true
				}
			} else {
				continue
			}
			a.Changes = append(a.Changes, ch)
		}
		if len(currents) == 0 {
			// Report percentages without any current BMD.
			seenPct := map[string]bool{}
			for _, rep := range pcts {
				if !bmdSameDay(rep.Date, newest) || seenPct[rep.Laterality] {
					continue
				}
				seenPct[rep.Laterality] = true
				a.Changes = append(a.Changes, bmdChange{Site: site, Laterality: rep.Laterality, Date: rep.Date, Reported: rep, Pct: round1(rep.Value)})
			}
		}
	}

	// Vertebral fractures that can distort the spine BMD.
	var spineDate time.Time
	for _, ch := range a.Changes {
		if ch.Site == SiteLumbarSpine && ch.Date.After(spineDate) {
			spineDate = ch.Date
		}
	}
	if !spineDate.IsZero() {
		for _, f := range c.Fractures() {
			if f.Has(ConceptVertebralFracture) && (f.Onset.IsZero() || !f.Onset.After(spineDate)) {
				a.VertebralFractures = append(a.VertebralFractures, f)
			}
		}
	}

	for i := range a.Changes {
		ch := &a.Changes[i]
		ch.Significant, ch.LSCFallback = significantChange(th, *ch)
		ch.Unreliable = ch.Site == SiteLumbarSpine && len(a.VertebralFractures) > 0
		ch.Implausible = math.Abs(ch.Pct) > th.DXAImplausiblePct+dxaEps
	}

	// Discordance between a reliable spine and a hip site.
	for i := range a.Changes {
		sp := &a.Changes[i]
		if sp.Site != SiteLumbarSpine || !sp.usable() {
			continue
		}
		for j := range a.Changes {
			hp := &a.Changes[j]
			if !isHipSite(hp.Site) || !hp.usable() {
				continue
			}
			if (sp.Pct > 0) != (hp.Pct > 0) {
				sp.Discordant, hp.Discordant = true, true
			}
		}
	}
	return a
}

// previousBMD is the most recent BMD before cur's day with a matching
// laterality (an exact laterality match preferred on the same day).
func previousBMD(bmds []DXAMeasurement, cur DXAMeasurement) (DXAMeasurement, bool) {
	var best DXAMeasurement
	found := false
	for _, d := range bmds {
		if !d.Date.Before(cur.Date) || bmdSameDay(d.Date, cur.Date) || !lateralityMatch(d.Laterality, cur.Laterality) {
			continue
		}
		switch {
		case !found:
			best, found = d, true
		case bmdSameDay(d.Date, best.Date):
			if d.Laterality == cur.Laterality && best.Laterality != cur.Laterality {
				best = d
			}
		case d.Date.After(best.Date):
			best = d
		}
	}
	return best, found
}

// reportedPct is the report percentage on day with a matching laterality.
func reportedPct(pcts []DXAMeasurement, day time.Time, laterality string) (DXAMeasurement, bool) {
	for _, p := range pcts {
		if bmdSameDay(p.Date, day) && lateralityMatch(p.Laterality, laterality) {
			return p, true
		}
	}
	return DXAMeasurement{}, false
}

// significantChange applies LSC_MODE; fallback reports that iscd-local
// mode had no absolute BMD and the seed percentage was used.
func significantChange(th Thresholds, ch bmdChange) (significant, fallback bool) {
	if th.LSCMode == "iscd-local" {
		if ch.HasDelta {
			return math.Abs(ch.Delta) >= iscdLSC(th, ch.Site)-dxaEps, false
		}
		fallback = true
	}
	limit := th.LSCHipPct
	if ch.Site == SiteLumbarSpine {
		limit = th.LSCSpinePct
	}
	return math.Abs(ch.Pct) > limit+dxaEps, fallback
}

// iscdLSC is 2.77 × the site's precision error in g/cm².
func iscdLSC(th Thresholds, s Site) float64 {
	pe := th.PrecisionErrorHip
	if s == SiteLumbarSpine {
		pe = th.PrecisionErrorSpine
	}
	return iscdLSCFactor * pe
}

// formatPct renders a percentage change with its sign and one decimal.
func formatPct(v float64) string {
	if v == 0 {
		return "0.0"
	}
	return fmt.Sprintf("%+.1f", v)
}

// formatLSC renders an LSC in g/cm² with four decimals (2.77 × 0.010 =
// 0.0277).
func formatLSC(v float64) string { return fmt.Sprintf("%.4f", v) }

// formatBMD renders g/cm² with three decimals.
func formatBMD(v float64) string { return fmt.Sprintf("%.3f", v) }

// dxaSiteName is the site name in both languages, with laterality.
func dxaSiteName(s Site, laterality string) Text {
	var t Text
	switch s {
	case SiteLumbarSpine:
		t = Text{NL: "lumbale wervelkolom (L1–L4)", EN: "lumbar spine (L1–L4)"}
	case SiteTotalHip:
		t = Text{NL: "totale heup", EN: "total hip"}
	case SiteFemoralNeck:
		t = Text{NL: "heuphals", EN: "femoral neck"}
	case SiteForearm:
		t = Text{NL: "onderarm", EN: "forearm"}
	default:
		t = Text{NL: string(s), EN: string(s)}
	}
	switch laterality {
	case "left":
		t.NL += " links"
		t.EN += " (left)"
	case "right":
		t.NL += " rechts"
		t.EN += " (right)"
	}
	return t
}

// dxaSiteShort is the short site name for summaries.
func dxaSiteShort(s Site, laterality string) Text {
	var t Text
	switch s {
	case SiteLumbarSpine:
		t = Text{NL: "LWK", EN: "spine"}
	case SiteTotalHip:
		t = Text{NL: "totale heup", EN: "total hip"}
	case SiteFemoralNeck:
		t = Text{NL: "heuphals", EN: "femoral neck"}
	case SiteForearm:
		t = Text{NL: "onderarm", EN: "forearm"}
	default:
		t = Text{NL: string(s), EN: string(s)}
	}
	switch laterality {
	case "left":
		t.NL += " li"
		t.EN += " L"
	case "right":
		t.NL += " re"
		t.EN += " R"
	}
	return t
}

// changeEvidence lists both measurements (or the report percentage) and
// the computed change of ch.
func changeEvidence(ch bmdChange) []Evidence {
	name := dxaSiteName(ch.Site, ch.Laterality)
	var ev []Evidence
	if ch.HasPrevious {
		ev = append(ev, Evidence{
			Label: Text{NL: "BMD " + name.NL + " (vorige meting)", EN: "BMD " + name.EN + " (previous)"},
			Value: formatBMD(ch.Previous.Value), Unit: "g/cm2", Date: ch.Previous.Date, Source: ch.Previous.Source,
		})
	}
	if ch.HasCurrent {
		ev = append(ev, Evidence{
			Label: Text{NL: "BMD " + name.NL + " (nieuwste meting)", EN: "BMD " + name.EN + " (newest)"},
			Value: formatBMD(ch.Current.Value), Unit: "g/cm2", Date: ch.Current.Date, Source: ch.Current.Source,
		})
	}
	if ch.HasPrevious {
		ev = append(ev, Evidence{
			Label: Text{NL: "Verandering " + name.NL + " (berekend)", EN: "Change " + name.EN + " (computed)"},
			Value: formatPct(ch.Pct), Unit: "%", Date: ch.Date, Source: ch.Current.Source,
		})
	} else {
		ev = append(ev, Evidence{
			Label: Text{NL: "Verandering " + name.NL + " (volgens DXA-verslag; geen vorige BMD beschikbaar)", EN: "Change " + name.EN + " (as reported by the DXA report; no previous BMD available)"},
			Value: formatPct(ch.Reported.Value), Unit: "%", Date: ch.Reported.Date, Source: ch.Reported.Source,
		})
	}
	return ev
}

// fractureEvidence lists the vertebral fractures that make the spine
// change unreliable.
func fractureEvidence(fs []Condition) []Evidence {
	var ev []Evidence
	for _, f := range fs {
		ev = append(ev, Evidence{Label: Text{NL: "Wervelfractuur", EN: "Vertebral fracture"}, ValueText: conditionName(f), Date: f.Onset, Source: f.Source})
	}
	return ev
}

// lscThresholds names the significance thresholds applied.
func lscThresholds(th Thresholds, changes []bmdChange) []Text {
	var out []Text
	fallback := false
	for _, ch := range changes {
		fallback = fallback || ch.LSCFallback
	}
	seed := Text{
		NL: "vaste grenzen (nascholing huisartsen): lumbale wervelkolom significant bij |Δ| > " + FormatNumberNL(th.LSCSpinePct) + " %, heup en heuphals bij |Δ| > " + FormatNumberNL(th.LSCHipPct) + " %",
		EN: "fixed limits (GP training course): lumbar spine significant when |Δ| > " + FormatNumber(th.LSCSpinePct) + " %, hip and femoral neck when |Δ| > " + FormatNumber(th.LSCHipPct) + " %",
	}
	if th.LSCMode == "iscd-local" {
		sp := formatBMD(th.PrecisionErrorSpine) + " g/cm²"
		spNL := formatBMDNL(th.PrecisionErrorSpine) + " g/cm²"
		hp := formatBMD(th.PrecisionErrorHip) + " g/cm²"
		hpNL := formatBMDNL(th.PrecisionErrorHip) + " g/cm²"
		out = append(out, Text{
			NL: "ISCD LSC = 2,77 × precisiefout: wervelkolom 2,77 × " + spNL + " = " + formatLSCNL(iscdLSC(th, SiteLumbarSpine)) + " g/cm², heup/heuphals 2,77 × " + hpNL + " = " + formatLSCNL(iscdLSC(th, SiteTotalHip)) + " g/cm²; significant bij |ΔBMD| ≥ LSC",
			EN: "ISCD LSC = 2.77 × precision error: spine 2.77 × " + sp + " = " + formatLSC(iscdLSC(th, SiteLumbarSpine)) + " g/cm², hip/femoral neck 2.77 × " + hp + " = " + formatLSC(iscdLSC(th, SiteTotalHip)) + " g/cm²; significant when |ΔBMD| ≥ LSC",
		})
		if fallback {
			seed.NL += " (gebruikt waar alleen een percentage uit het verslag beschikbaar is)"
			seed.EN += " (used where only a report percentage is available)"
			out = append(out, seed)
		}
	} else {
		out = append(out, seed)
	}
	out = append(out,
		// Δ% is rounded to 0.1 % (as in the DXA report) before the comparison;
		// a note for reviewers, not card text.
		Text{NL: "nieuwste DXA ≤ " + itoa(th.DXARecentDays) + " dagen oud", EN: "newest DXA ≤ " + itoa(th.DXARecentDays) + " days old"},
	)
	return out
}

// dxaJoinTexts joins texts per language with sep.
func dxaJoinTexts(ts []Text, sep string) Text {
	var nl, en []string
	for _, t := range ts {
		nl = append(nl, t.NL)
		en = append(en, t.EN)
	}
	return Text{NL: strings.Join(nl, sep), EN: strings.Join(en, sep)}
}

// formatPctNL, formatLSCNL and formatBMDNL are the Dutch forms (decimal
// comma, typographic minus).
func formatPctNL(v float64) string { return NumberNL(formatPct(v)) }

func formatLSCNL(v float64) string { return NumberNL(formatLSC(v)) }

func formatBMDNL(v float64) string { return NumberNL(formatBMD(v)) }
