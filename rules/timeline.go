package rules

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Timeline is the patient's bone history at T as the rules read it, for
// the bone-health view (README "Bone-health view"). It is computed with the
// rules' own helpers (episode merging, bisphosphonate exposure, denosumab
// dose dating, the LSC and implausibility tests, the WHO classes), so the
// picture can never disagree with a card: there is one reading of the data.
type Timeline struct {
	AsOf time.Time
	// Series are the DXA measurements per site and laterality, oldest
	// point first, in the order lumbar spine, total hip, femoral neck,
	// forearm.
	Series    []DXASeries
	Fractures []TimelineFracture
	// Bisphosphonate is nil without bisphosphonate exposure.
	Bisphosphonate *BisphosphonateCourse
	// Denosumab is nil without a denosumab 60 mg dose.
	Denosumab *DenosumabCourse
	// Teriparatide are the merged teriparatide episodes; TeriparatideDays
	// their total up to T and TeriparatideMaxMonths the lifetime limit.
	Teriparatide          []Episode
	TeriparatideDays      int
	TeriparatideMaxMonths int
	// Romosozumab and OtherTherapy (SERM, strontium) are further
	// osteoporosis-drug episodes.
	Romosozumab []Episode
	// Glucocorticoids are the systemic courses (merged as the
	// glucocorticoid rule merges them); Methotrexate the MTX episodes.
	Glucocorticoids []Episode
	Methotrexate    []Episode
	// Labs are the eGFR, calcium, 25-OH-vitamin D and ALP results up to T,
	// newest first.
	Labs []Lab
}

// DXASeries is one site's measurements over time.
type DXASeries struct {
	Site       Site
	Laterality string
	// LSCPct is the least significant change in percent for the site in
	// seed-fixed mode (3 % spine, 4 % hip); 0 for the forearm, which has no
	// LSC in the sources.
	LSCPct float64
	Points []DXAPoint
}

// DXAPoint is one measurement day at one site.
type DXAPoint struct {
	Date      time.Time
	BMD       float64
	HasBMD    bool
	TScore    float64
	HasTScore bool
	Source    Ref
	// WHO is the WHO class of the T-score ("" without a T-score).
	WHO WHOClass
	// ChangePct is the BMD change since the previous point with a BMD,
	// rounded to 0.1 % as the DXA-change rules round it (HasChange).
	ChangePct float64
	HasChange bool
	// Significant, Implausible: the change exceeds the LSC (LSC_MODE), or
	// DXA_IMPLAUSIBLE_PCT, exactly as dexa-change-lsc and
	// dexa-change-implausible decide.
	Significant, Implausible bool
	// Unreliable marks a spine value with a (counted) vertebral fracture
	// dated on or before it, or undated: the fracture can raise the spine
	// BMD (SEED-GP "Let op bij lumbale wervelinzakking").
	Unreliable bool
}

// WHOClass is the WHO category of a T-score.
type WHOClass string

// The WHO classes.
const (
	WHONormal       WHOClass = "normal"
	WHOOsteopenia   WHOClass = "osteopenia"
	WHOOsteoporosis WHOClass = "osteoporosis"
)

// Text names the class in Dutch and English.
func (w WHOClass) Text() Text {
	switch w {
	case WHOOsteoporosis:
		return whoOsteoporosis.text()
	case WHOOsteopenia:
		return whoOsteopenia.text()
	case WHONormal:
		return whoNormal.text()
	}
	return Text{}
}

// TimelineFracture is a fracture on the time axis.
type TimelineFracture struct {
	Condition Condition
	// OnTreatment is true when an osteoporosis drug covered the fracture
	// date (a denosumab dose covering DMAB_INTERVAL_DAYS, an infusion a
	// year), as fracture-on-treatment decides.
	OnTreatment bool
	// VFA marks a vertebral deformity graded on VFA (Genant grade > 0).
	VFA bool
	// Counted is false for a VFA Genant grade 1 deformity that the rules
	// do not count as a fracture (VFA_GRADE1_COUNTS false): shown, so the
	// VFA result is visible, but marked as not counted.
	Counted bool
}

// BisphosphonateCourse is the bisphosphonate history with its review marks.
type BisphosphonateCourse struct {
	// Oral are the merged oral episodes; Infusions the zoledronic acid 5 mg
	// infusions, one year of cover each.
	Oral      []Episode
	Infusions []MedicationRecord
	// Days is the exposure in days up to T, one infusion counting as a
	// year.
	Days int
	// Start is the first day of use; End the day the last exposure ends
	// (T for an open oral episode).
	Start, End time.Time
	// ReviewAt and MaxAt are the days the cumulative exposure reached, or
	// on continued use will reach, the review (ORAL_BP_REVIEW_YEARS oral,
	// ZOL_REVIEW_YEARS infusions) and the maximum (BP_MAX_YEARS,
	// ZOL_MAX_YEARS); zero when a stopped course never reached it.
	ReviewAt, MaxAt time.Time
	// Active is true while bisphosphonate use continues at T.
	Active bool
	// HolidayReevalAt is End + BP_HOLIDAY_REEVAL_YEARS when use has
	// stopped (a drug holiday); zero otherwise.
	HolidayReevalAt time.Time
}

// DenosumabCourse is the denosumab 60 mg history.
type DenosumabCourse struct {
	Doses []DenosumabDose
	// NextDue is the last dose + DMAB_INTERVAL_DAYS; LateWarning and
	// LateCritical the days the lateness thresholds are crossed.
	NextDue, LateWarning, LateCritical time.Time
	// ZolWindow is the last dose + ZOL_AFTER_DMAB_DAYS: when zoledronic
	// acid should follow if denosumab stops.
	ZolWindow time.Time
	// Overdue is true when NextDue has passed at T; DaysLate counts the
	// days since NextDue.
	Overdue  bool
	DaysLate int
}

// DenosumabDose is one injection.
type DenosumabDose struct {
	Date   time.Time
	Source Ref
	// Weak is true when only a prescription date dates it.
	Weak bool
}

// TimelineLabs are the analytes the view shows.
var TimelineLabs = []Analyte{AnalyteEGFR, AnalyteCalcium, AnalyteCalciumCorrected, AnalyteVitaminD, AnalyteALP}

// BuildTimeline computes the timeline of facts at facts.AsOf.
func BuildTimeline(facts Facts, th Thresholds) Timeline {
	c := &Context{Facts: facts, Thresholds: th}
	T := facts.AsOf
	tl := Timeline{AsOf: T, TeriparatideMaxMonths: th.TptdMaxMonths}
	tl.Series = dxaSeries(c)

	periods := c.therapyPeriods()
	counted := slices.Clone(c.Fractures())
	for _, f := range counted {
		if f.Onset.After(T) {
			continue
		}
		tl.Fractures = append(tl.Fractures, TimelineFracture{
			Condition:   f,
			OnTreatment: !f.Onset.IsZero() && coveredAt(periods, f.Onset),
			VFA:         f.GenantGrade > 0,
			Counted:     true,
		})
	}
	for _, f := range facts.Conditions {
		if f.Has(ConceptVertebralFracture) && f.GenantGrade > 0 && !f.Has(ConceptFractureExcluded) &&
			!f.Onset.After(T) && !slices.ContainsFunc(counted, func(x Condition) bool { return x.Source == f.Source }) {
			tl.Fractures = append(tl.Fractures, TimelineFracture{Condition: f, VFA: true,
				OnTreatment: !f.Onset.IsZero() && coveredAt(periods, f.Onset)})
		}
	}
	for i := range tl.Series {
		s := &tl.Series[i]
		if s.Site != SiteLumbarSpine {
			continue
		}
		for j := range s.Points {
			for _, f := range counted {
				if f.Has(ConceptVertebralFracture) && (f.Onset.IsZero() || !f.Onset.After(s.Points[j].Date)) {
					s.Points[j].Unreliable = true
				}
			}
		}
	}
	sort.SliceStable(tl.Fractures, func(i, j int) bool {
		return tl.Fractures[i].Condition.Onset.Before(tl.Fractures[j].Condition.Onset)
	})

	if e := c.bisphosphonateExposure(); e.Any() {
		bp := &BisphosphonateCourse{
			Oral: e.OralEpisodes, Infusions: e.Infusions, Days: e.days(),
			Start: e.Start(), End: e.End(T), Active: c.bisphosphonateActive(e),
		}
		if len(e.Infusions) > 0 && e.OralDays == 0 {
			bp.ReviewAt = yearMark(e.Infusions, th.ZolReviewYears)
			bp.MaxAt = yearMark(e.Infusions, th.ZolMaxYears)
		} else {
			// Infusions of a mixed history count a year each, as in
			// bpExposure.reached.
			zolDays := len(e.Infusions) * yearsInDays(zolYearsPerInfusion)
			bp.ReviewAt = oralMark(e.OralEpisodes, T, yearsInDays(th.OralBPReviewYears)-zolDays, bp.Active)
			bp.MaxAt = oralMark(e.OralEpisodes, T, yearsInDays(th.BPMaxYears)-zolDays, bp.Active)
		}
		if !bp.Active && !bp.End.After(T) {
			bp.HolidayReevalAt = bp.End.AddDate(th.BPHolidayReevalYears, 0, 0)
		}
		tl.Bisphosphonate = bp
	}

	if doses := denosumabDoses(c); len(doses) > 0 {
		dm := &DenosumabCourse{}
		for _, d := range doses {
			dm.Doses = append(dm.Doses, DenosumabDose{Date: d.Date, Source: d.Record.Source, Weak: d.Weak})
		}
		last := doses[len(doses)-1].Date
		dm.NextDue = last.AddDate(0, 0, th.DmabIntervalDays)
		dm.LateWarning = dm.NextDue.AddDate(0, 0, th.DmabLateWarningDays)
		dm.LateCritical = dm.NextDue.AddDate(0, 0, th.DmabLateCriticalDays)
		dm.ZolWindow, _ = zolPlanDate(c, last)
		if dm.NextDue.Before(T) {
			dm.Overdue, dm.DaysLate = true, DaysBetween(dm.NextDue, T)
		}
		tl.Denosumab = dm
	}

	tl.Teriparatide = c.Episodes(DrugTeriparatide, false)
	for _, e := range tl.Teriparatide {
		tl.TeriparatideDays += e.Days(T)
	}
	tl.Romosozumab = c.Episodes(DrugRomosozumab, false)
	for _, g := range gcCourses(c, false, nil) {
		tl.Glucocorticoids = append(tl.Glucocorticoids, Episode{Start: g.Start, End: g.End, Records: g.Records})
	}
	tl.Methotrexate = c.Episodes(DrugMethotrexate, false)

	for _, l := range facts.Labs {
		if slices.Contains(TimelineLabs, l.Analyte) && !l.Date.After(T) {
			tl.Labs = append(tl.Labs, l)
		}
	}
	sort.SliceStable(tl.Labs, func(i, j int) bool { return tl.Labs[i].Date.After(tl.Labs[j].Date) })
	return tl
}

// oralMark is the day the oral episodes' cumulative use reaches need days;
// when it has not yet, the day continued use from T would reach it (active)
// or zero (stopped).
func oralMark(eps []Episode, asOf time.Time, need int, active bool) time.Time {
	acc := 0
	for _, e := range eps {
		d := e.Days(asOf)
		if acc+d >= need {
			return e.Start.AddDate(0, 0, need-acc-1)
		}
		acc += d
	}
	if active {
		return asOf.AddDate(0, 0, need-acc)
	}
	return time.Time{}
}

// yearMark is the day the n-th infusion's year begins (the n-th infusion
// given), or, when fewer were given, where it would fall at one a year.
func yearMark(infusions []MedicationRecord, n int) time.Time {
	if n <= 0 || len(infusions) == 0 {
		return time.Time{}
	}
	if n <= len(infusions) {
		return infusions[n-1].Start
	}
	last := infusions[len(infusions)-1].Start
	return last.AddDate(n-len(infusions), 0, 0)
}

// dxaSeries groups the BMD and T-score measurements by site and
// laterality and classifies every change between consecutive BMDs.
func dxaSeries(c *Context) []DXASeries {
	th := c.Thresholds
	type key struct {
		site Site
		lat  string
	}
	var keys []key
	byKey := map[key][]DXAMeasurement{}
	for _, d := range c.Facts.DXA {
		if d.Date.IsZero() || d.Date.After(c.Facts.AsOf) || !whoSite(d.Site) {
			continue
		}
		if d.Measure != BMD && d.Measure != TScore {
			continue
		}
		k := key{d.Site, d.Laterality}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], d)
	}
	siteOrder := map[Site]int{SiteLumbarSpine: 0, SiteTotalHip: 1, SiteFemoralNeck: 2, SiteForearm: 3}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].site != keys[j].site {
			return siteOrder[keys[i].site] < siteOrder[keys[j].site]
		}
		return keys[i].lat < keys[j].lat
	})
	var out []DXASeries
	for _, k := range keys {
		s := DXASeries{Site: k.site, Laterality: k.lat}
		switch {
		case k.site == SiteLumbarSpine:
			s.LSCPct = th.LSCSpinePct
		case isHipSite(k.site):
			s.LSCPct = th.LSCHipPct
		}
		ms := byKey[k]
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Date.Before(ms[j].Date) })
		for _, d := range ms {
			n := len(s.Points)
			if n == 0 || !bmdSameDay(s.Points[n-1].Date, d.Date) {
				s.Points = append(s.Points, DXAPoint{Date: d.Date})
				n++
			}
			p := &s.Points[n-1]
			switch d.Measure {
			case BMD:
				if d.Value > 0 {
					p.BMD, p.HasBMD, p.Source = d.Value, true, d.Source
				}
			case TScore:
				p.TScore, p.HasTScore = d.Value, true
				p.WHO = WHOClass(classifyWHOTScore(th, d.Value).code())
				if p.Source == "" {
					p.Source = d.Source
				}
			}
		}
		prev := -1
		for i := range s.Points {
			p := &s.Points[i]
			if !p.HasBMD {
				continue
			}
			if prev >= 0 {
				old := s.Points[prev].BMD
				ch := bmdChange{Site: k.site, HasCurrent: true, HasPrevious: true,
					Pct: round1((p.BMD - old) / old * 100), Delta: round3(p.BMD - old), HasDelta: true}
				p.ChangePct, p.HasChange = ch.Pct, true
				p.Significant = k.site != SiteForearm && func() bool { s, _ := significantChange(th, ch); return s }()
				p.Implausible = math.Abs(ch.Pct) > th.DXAImplausiblePct+dxaEps
			}
			prev = i
		}
		out = append(out, s)
	}
	return out
}

// code is the WHOClass of a whoBMDClass.
func (w whoBMDClass) code() string {
	switch w {
	case whoOsteoporosis:
		return string(WHOOsteoporosis)
	case whoOsteopenia:
		return string(WHOOsteopenia)
	}
	return string(WHONormal)
}

// SiteText names a DXA site in Dutch and English.
func SiteText(s Site) Text { return dxaSiteText(s) }
