package rules

// R02 glucocorticoid-bone-risk (rules.md §4 R02, §2.3, D3).
//
// Sources: NHG-Standaard Fractuurpreventie 2024 risk group 2 "≥ 40 jaar met
// ≥ 4 stootkuren per jaar of systemisch gebruik van glucocorticoïden
// ≥ 3 maanden"; risedronate SmPC 4.1 "long-term (more than 3 months),
// systemic corticosteroid treatment at doses greater than or equal to
// 7.5mg/day prednisone or equivalent"; SEED-GP "prednisolon >7.5 mg per dag"
// (D3: ≥ chosen; Prolia uses ≥ 7.5 mg for ≥ 6 months); NHG 2012: the GP
// manages glucocorticoid-associated osteoporosis. The exact NHG age/T-score
// start criteria for glucocorticoid users are UNVERIFIED. Prednisolone-
// equivalent factors: glucocorticoid.go (UNVERIFIED).
//
// Thresholds: GC_MIN_AGE (≥ 40, Tier A), GC_MIN_DURATION_DAYS (≥ 90 days),
// GC_RECENT_END_DAYS (course active or ended ≤ 90 days ago),
// GC_BURSTS_PER_YEAR (≥ 4) with GC_BURST_MAX_DAYS (a burst is ≤ 14 days) in
// the past 12 months, GC_HIGH_DOSE_MG_PRED_EQ (≥ 7.5 mg/day, Tier B),
// GC_DXA_RECENT_MONTHS (Tier A silent after a DXA ≤ 24 months old),
// GC_CONTINUOUS_GAP_DAYS (records ≤ 7 days apart are one course).
//
// Tier A (info): age ≥ 40, a systemic course ≥ 90 consecutive days that is
// active or ended ≤ 90 days ago, or ≥ 4 bursts in the past 12 months; no
// DXA in the last 24 months; no active osteoporosis drug. Suggestion: DXA
// with VFA.
//
// Tier B (warning, replaces Tier A; no age limit in the sources): ≥ 7.5 mg
// prednisolone-equivalent a day sustained ≥ 90 days, current or planned; no
// active osteoporosis drug. Suggestions: DXA with VFA (unless a DXA is ≤ 24
// months old), the missing pre-treatment labs, calcium/vitamin D (unless in
// use), and "consider a bisphosphonate" (alendronic acid 70 mg weekly).
//
// Inhaled, nasal, topical and intestinal-local corticosteroids never count
// (IsSystemicGlucocorticoid). At order-sign the card fires only when a
// draft systemic glucocorticoid order is part of the qualifying course or
// bursts (the planned duration comes from the draft's supply duration).

import "time"

// TopicGlucocorticoidBoneRisk is the topic code of R02.
const TopicGlucocorticoidBoneRisk = "glucocorticoid-bone-risk"

// GlucocorticoidBoneRisk is rule R02.
var GlucocorticoidBoneRisk = Rule{
	Number: 2,
	Topic:  TopicGlucocorticoidBoneRisk,
	Hooks:  []Hook{PatientView, OrderSign},
	Eval:   evalGlucocorticoidBoneRisk,
}

func init() { register(GlucocorticoidBoneRisk) }

// CiteRisedronateGIOP is the glucocorticoid-induced osteoporosis indication
// of the risedronate SmPC.
var CiteRisedronateGIOP = Citation{
	Label: "Risedronate SmPC 4.1: long-term (> 3 months) systemic corticosteroid treatment ≥ 7.5 mg/day prednisone or equivalent",
	URL:   "https://www.medscape.co.uk/drug/risedronate-sodium-48385-48385",
}

// gcYearMonths is the "per jaar" / "past year" window of the burst count:
// a unit, not a tunable.
const gcYearMonths = 12

func evalGlucocorticoidBoneRisk(c *Context) []Finding {
	th := c.Thresholds
	atOrder := c.Facts.Hook == OrderSign
	if c.ActiveOsteoporosisDrug() {
		return nil
	}
	counts := func(g gcCourse) bool { return !atOrder || g.Draft }
	recentEnd := c.Facts.AsOf.AddDate(0, 0, -th.GCRecentEndDays)
	longest := func(courses []gcCourse) (gcCourse, bool) {
		var best gcCourse
		found := false
		for _, g := range courses {
			if g.Days() < th.GCMinDurationDays || g.End.Before(recentEnd) || !counts(g) {
				continue
			}
			if !found || g.Days() > best.Days() {
				best, found = g, true
			}
		}
		return best, found
	}
	highDose := func(m MedicationRecord) bool {
		mg, ok := PrednisoloneEquivalentMg(m)
		return ok && mg >= th.GCHighDoseMgPredEq
	}
	all := gcCourses(c, atOrder, nil)
	high, tierB := longest(gcCourses(c, atOrder, highDose))
	long, hasLong := longest(all)

	yearAgo := MonthsBefore(c.Facts.AsOf, gcYearMonths)
	var bursts []gcCourse
	burstDraft := false
	for _, g := range all {
		if g.Days() <= th.GCBurstMaxDays && g.Start.After(yearAgo) {
			bursts = append(bursts, g)
			burstDraft = burstDraft || g.Draft
		}
	}
	manyBursts := len(bursts) >= th.GCBurstsPerYear && (!atOrder || burstDraft)
	if !tierB && !hasLong && !manyBursts {
		return nil
	}

	dxa, recentDXA := latestDXA(c)
	recentDXA = recentDXA && dxa.Date.After(MonthsBefore(c.Facts.AsOf, th.GCDXARecentMonths))
	age, ageKnown := c.Age()

	if tierB {
		return []Finding{gcTierB(c, high, age, ageKnown, dxa, recentDXA)}
	}
	if !ageKnown || age < th.GCMinAge || recentDXA {
		return nil
	}
	return []Finding{gcTierA(c, long, hasLong, bursts, age)}
}

// latestDXA returns the newest DXA T-score or BMD at or before T.
func latestDXA(c *Context) (DXAMeasurement, bool) {
	var best DXAMeasurement
	found := false
	for _, d := range c.Facts.DXA {
		if (d.Measure != TScore && d.Measure != BMD) || d.Date.After(c.Facts.AsOf) {
			continue
		}
		if !found || d.Date.After(best.Date) {
			best, found = d, true
		}
	}
	return best, found
}

func gcRecordEvidence(c *Context, m MedicationRecord) Evidence {
	value := displayName(m)
	if m.DailyDoseMg > 0 {
		value.NL += " " + FormatNumberNL(m.DailyDoseMg) + " mg/dag"
		value.EN += " " + FormatNumber(m.DailyDoseMg) + " mg/day"
		if mg, ok := PrednisoloneEquivalentMg(m); ok {
			value.NL += " = " + FormatNumberNL(mg) + " mg/dag prednisolonequivalent"
			value.EN += " = " + FormatNumber(mg) + " mg/day prednisolone equivalent"
		}
	} else {
		value.NL += " (dosis onbekend)"
		value.EN += " (dose unknown)"
	}
	start, end := gcSpan(c, m)
	label := Text{NL: "Systemisch glucocorticoïd", EN: "Systemic glucocorticoid"}
	if m.Kind == KindDraftOrder {
		label = Text{NL: "Systemisch glucocorticoïd (conceptorder, " + itoa(DaysBetween(start, end)+1) + " dagen)", EN: "Systemic glucocorticoid (draft order, " + itoa(DaysBetween(start, end)+1) + " days)"}
	}
	return Evidence{Label: label, ValueText: value, Date: start, Source: m.Source}
}

func gcCourseEvidence(c *Context, g gcCourse) []Evidence {
	ev := []Evidence{{
		Label:     Text{NL: "Aaneengesloten gebruik (incl. gepland)", EN: "Continuous use (planned part included)"},
		ValueText: Days(g.Days()), Date: g.Start,
	}}
	for _, m := range g.Records {
		ev = append(ev, gcRecordEvidence(c, m))
	}
	return ev
}

func gcCommonThresholds(th Thresholds) []Text {
	return []Text{
		{NL: "systemisch glucocorticoïd ≥ " + itoa(th.GCMinDurationDays) + " dagen aaneengesloten, actief of ≤ " + itoa(th.GCRecentEndDays) + " dagen geleden gestopt (NHG 2024)",
			EN: "systemic glucocorticoid ≥ " + itoa(th.GCMinDurationDays) + " consecutive days, active or stopped ≤ " + itoa(th.GCRecentEndDays) + " days ago (NHG 2024)"},
		{NL: "inhalatie-, neus-, huid- en lokaal werkende darmcorticosteroïden tellen niet mee",
			EN: "inhaled, nasal, dermal and intestinal-local corticosteroids do not count"},
	}
}

func gcTierB(c *Context, g gcCourse, age int, ageKnown bool, dxa DXAMeasurement, recentDXA bool) Finding {
	th := c.Thresholds
	dose := FormatNumber(th.GCHighDoseMgPredEq)
	doseNL := FormatNumberNL(th.GCHighDoseMgPredEq)
	var ev []Evidence
	if ageKnown {
		ev = append(ev, Evidence{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: itoa(age), UnitText: Text{NL: "jaar", EN: "years"}})
	}
	ev = append(ev, gcCourseEvidence(c, g)...)
	if recentDXA {
		ev = append(ev, dxaEvidenceOf(dxa))
	}
	reason := Text{NL: "langdurig systemisch glucocorticoïd ≥ " + doseNL + " mg/d", EN: "long-term systemic glucocorticoid ≥ " + dose + " mg/d"}
	var sugg []Suggestion
	if !recentDXA {
		sugg = append(sugg, SuggestDXA(true, reason))
	}
	if order, _, _, _ := missingPreTreatmentLabs(c, false); len(order) > 0 {
		sugg = append(sugg, SuggestLabPanel(order, reason))
	}
	if !c.Active(DrugCalcium) && !c.Active(DrugVitaminD) {
		sugg = append(sugg, SuggestMedication(KeyOrderCalciumVitaminD, DrugOrderCalciumVitD, time.Time{},
			Text{NL: "Calcium/vitamine D", EN: "Calcium/vitamin D"}, reason))
	}
	sugg = append(sugg, SuggestMedication(KeyOrderAlendronate70mg, DrugOrderAlendronate70mg, time.Time{},
		Text{NL: "Overweeg alendroninezuur 70 mg eenmaal per week", EN: "Consider alendronic acid 70 mg once weekly"}, reason))

	detail := Text{
		NL: "Langdurig systemisch glucocorticoïdgebruik in een dosis van ≥ " + doseNL + " mg prednisolon-equivalent per dag verhoogt het fractuurrisico snel, vooral van wervelfracturen. " +
			"Beoordeel het fractuurrisico (DXA met VFA, laboratoriumonderzoek) en de botbescherming: calcium/vitamine D en overweeg een bisfosfonaat. Glucocorticoïd-geïnduceerde osteoporose wordt volgens de NHG-Standaard door de huisarts behandeld.",
		EN: "Long-term systemic glucocorticoid use at ≥ " + dose + " mg prednisolone equivalent a day raises fracture risk quickly, vertebral fractures above all. " +
			"Assess fracture risk (DXA with VFA, laboratory work-up) and bone protection: calcium/vitamin D and consider a bisphosphonate. Per the NHG guideline the GP manages glucocorticoid-induced osteoporosis.",
	}
	if recentDXA {
		detail = appendParagraph(detail, Text{
			NL: "Er is een DXA van " + FormatDateIn(dxa.Date, "nl") + "; een nieuwe DXA wordt niet voorgesteld.",
			EN: "A DXA of " + FormatDateIn(dxa.Date, "en") + " is on record; no new DXA is suggested.",
		})
	}
	f := Finding{
		Topic:     TopicGlucocorticoidBoneRisk,
		Indicator: Warning,
		Summary: Text{
			NL: "Langdurig systemisch glucocorticoïd ≥" + doseNL + " mg/d prednisolon-eq.: beoordeel fractuurrisico en botbescherming",
			EN: "Long-term systemic glucocorticoid ≥" + dose + " mg/d prednisolone-eq: assess fracture risk and bone protection",
		},
		Detail:   detail,
		Evidence: ev,
		Thresholds: append([]Text{
			{NL: "≥ " + doseNL + " mg/dag prednisolon-equivalent gedurende ≥ " + itoa(th.GCMinDurationDays) + " dagen, actueel of gepland",
				EN: "≥ " + dose + " mg/day prednisolone equivalent for ≥ " + itoa(th.GCMinDurationDays) + " days, current or planned"},
		}, gcCommonThresholds(th)...),
		Citations:       []Citation{CiteRisedronateGIOP, CiteNHG},
		Suggestions:     sugg,
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}
	// Contraindications and missing safety labs (bisphosphonate_safety.go).
	applyBPSafety(c, &f, false)
	return f
}

func gcTierA(c *Context, long gcCourse, hasLong bool, bursts []gcCourse, age int) Finding {
	th := c.Thresholds
	ev := []Evidence{{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: itoa(age), UnitText: Text{NL: "jaar", EN: "years"}}}
	summary := Text{
		NL: "Systemisch glucocorticoïd ≥" + itoa(th.GCMinDurationDays) + " dagen bij leeftijd ≥" + itoa(th.GCMinAge) + ": beoordeel het fractuurrisico (DXA)",
		EN: "Systemic glucocorticoid ≥" + itoa(th.GCMinDurationDays) + " days at age ≥" + itoa(th.GCMinAge) + ": assess fracture risk (DXA)",
	}
	detail := Text{
		NL: "Systemisch glucocorticoïdgebruik van " + itoa(th.GCMinDurationDays) + " dagen of langer vanaf " + itoa(th.GCMinAge) + " jaar is een risicogroep voor fracturen (NHG 2024). Breng het fractuurrisico in kaart met een DXA met VFA.",
		EN: "Systemic glucocorticoid use of " + itoa(th.GCMinDurationDays) + " days or longer from age " + itoa(th.GCMinAge) + " is a fracture risk group (NHG 2024). Assess fracture risk with a DXA with VFA.",
	}
	if hasLong {
		ev = append(ev, gcCourseEvidence(c, long)...)
		unknown := false
		for _, m := range long.Records {
			if _, ok := PrednisoloneEquivalentMg(m); !ok {
				unknown = true
			}
		}
		if unknown {
			detail = appendParagraph(detail, Text{
				NL: "De dagdosis (of het middel) is niet bij elk voorschrift bekend; of de dosis ≥ " + FormatNumberNL(th.GCHighDoseMgPredEq) + " mg prednisolon-equivalent was, is niet beoordeeld.",
				EN: "The daily dose (or the drug) is not known for every record; whether the dose reached ≥ " + FormatNumber(th.GCHighDoseMgPredEq) + " mg prednisolone equivalent was not assessed.",
			})
		}
	} else {
		summary = Text{
			NL: "≥" + itoa(th.GCBurstsPerYear) + " stootkuren glucocorticoïd in " + itoa(gcYearMonths) + " maanden bij leeftijd ≥" + itoa(th.GCMinAge) + ": beoordeel het fractuurrisico (DXA)",
			EN: "≥" + itoa(th.GCBurstsPerYear) + " glucocorticoid bursts in " + itoa(gcYearMonths) + " months at age ≥" + itoa(th.GCMinAge) + ": assess fracture risk (DXA)",
		}
		detail = Text{
			NL: itoa(len(bursts)) + " stootkuren systemisch glucocorticoïd in het afgelopen jaar; vanaf " + itoa(th.GCMinAge) + " jaar is ≥ " + itoa(th.GCBurstsPerYear) + " stootkuren per jaar een risicogroep voor fracturen (NHG 2024). Breng het fractuurrisico in kaart met een DXA met VFA.",
			EN: itoa(len(bursts)) + " systemic glucocorticoid bursts in the past year; from age " + itoa(th.GCMinAge) + ", ≥ " + itoa(th.GCBurstsPerYear) + " bursts a year is a fracture risk group (NHG 2024). Assess fracture risk with a DXA with VFA.",
		}
		ev = append(ev, Evidence{Label: Text{NL: "Stootkuren in " + itoa(gcYearMonths) + " maanden", EN: "Bursts in " + itoa(gcYearMonths) + " months"}, Value: itoa(len(bursts))})
		for _, b := range bursts {
			for _, m := range b.Records {
				ev = append(ev, gcRecordEvidence(c, m))
			}
		}
	}
	ev = append(ev, Evidence{Label: Text{NL: "DXA in de laatste " + itoa(th.GCDXARecentMonths) + " maanden", EN: "DXA in the last " + itoa(th.GCDXARecentMonths) + " months"}, ValueText: Text{NL: "geen", EN: "none"}})
	return Finding{
		Topic:     TopicGlucocorticoidBoneRisk,
		Indicator: Info,
		Summary:   summary,
		Detail:    detail,
		Evidence:  ev,
		Thresholds: append([]Text{
			{NL: "leeftijd ≥ " + itoa(th.GCMinAge) + " jaar (NHG 2024 risicogroep 2)", EN: "age ≥ " + itoa(th.GCMinAge) + " years (NHG 2024 risk group 2)"},
			{NL: "of ≥ " + itoa(th.GCBurstsPerYear) + " stootkuren (≤ " + itoa(th.GCBurstMaxDays) + " dagen) in " + itoa(gcYearMonths) + " maanden (NHG 2024)",
				EN: "or ≥ " + itoa(th.GCBurstsPerYear) + " bursts (≤ " + itoa(th.GCBurstMaxDays) + " days) in " + itoa(gcYearMonths) + " months (NHG 2024)"},
			{NL: "geen DXA in de laatste " + itoa(th.GCDXARecentMonths) + " maanden", EN: "no DXA in the last " + itoa(th.GCDXARecentMonths) + " months"},
		}, gcCommonThresholds(th)...),
		Citations: []Citation{CiteNHG, CiteRisedronateGIOP},
		Suggestions: []Suggestion{
			SuggestDXA(true, Text{NL: "systemisch glucocorticoïdgebruik (NHG risicogroep)", EN: "systemic glucocorticoid use (NHG risk group)"}),
		},
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}
}
