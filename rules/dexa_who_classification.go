package rules

// R05 dexa-who-classification (rules.md §4 R05, §2.1).
//
// Sources: WHO 1994 BMD classes by the lowest T-score of lumbar spine, total
// hip and femoral neck (WHO/ISCD lowest-site convention): normal T ≥ −1.0,
// osteopenia −2.5 < T < −1.0, osteoporosis T ≤ −2.5, severe (established)
// osteoporosis T ≤ −2.5 with a fragility fracture. NHG 2012 "T-score lager of
// gelijk aan −2,5" (two classes only, D17). SEED-MTX writes "T< −2.5" for
// osteoporosis (D1: ≤ −2.5 chosen). WHO/ISCD: the T-score classes apply to
// postmenopausal women and men ≥ 50; other groups are reported by Z-score,
// "below the expected range for age" at Z ≤ −2.0 (ISCD cut-off UNVERIFIED,
// D15; SEED-MTX Casus II applies "osteopenie" to a 49-year-old man).
//
// Thresholds: TSCORE_OSTEOPOROSIS (≤ −2.5), TSCORE_OSTEOPENIA_UPPER (< −1.0),
// ZSCORE_BELOW_EXPECTED (≤ −2.0), ZSCORE_UNDER_AGE (men < 50),
// DXA_RECENT_DAYS (the newest DXA is ≤ 90 days old).
//
// Fires (info, no suggestions: osteoporosis-treatment-indication carries the
// action) when the newest DXA examination is ≤ DXA_RECENT_DAYS old. Men
// younger than ZSCORE_UNDER_AGE with Z-scores are reported by Z-score, and
// the T-based WHO reading is mentioned (S2b). Menopausal status is not in
// Facts, so women are classified by T-score with a note for women < 50. A
// vertebral fracture with a T-score above −2.5 is named as clinically
// established osteoporosis (S6). When the age is unknown the T-score is
// used and the missing birth date is reported.

import "time"

// TopicDexaWHOClassification is the topic code of R05.
const TopicDexaWHOClassification = "dexa-who-classification"

// DexaWHOClassification is rule R05.
var DexaWHOClassification = Rule{
	Number: 5,
	Topic:  TopicDexaWHOClassification,
	Hooks:  []Hook{PatientView},
	Eval:   evalDexaWHOClassification,
}

func init() { register(DexaWHOClassification) }

// CiteWHOBMDClassification is the WHO 1994 T-score classification table.
var CiteWHOBMDClassification = Citation{
	Label: "WHO 1994 BMD classification by T-score (normal, osteopenia, osteoporosis, severe osteoporosis)",
	URL:   "https://clinicalmolecularallergy.biomedcentral.com/articles/10.1186/1476-7961-2-9/tables/1",
}

// CiteISCDZScore is the ISCD position on Z-scores for men under 50 and
// premenopausal women. The Z ≤ −2.0 cut-off is UNVERIFIED in this project.
var CiteISCDZScore = Citation{
	Label: "ISCD Official Positions: Z-score ≤ −2.0 'below the expected range for age'",
	URL:   "https://iscd.org/official-positions/",
}

// dxaExam is the newest DXA examination: the T- and Z-scores measured on
// its date.
type dxaExam struct {
	Date    time.Time
	TScores []DXAMeasurement
	ZScores []DXAMeasurement
}

// newestDXAExam returns the T- and Z-scores of the most recent DXA date at
// or before T. Results from the same calendar day form one examination.
func newestDXAExam(c *Context) (dxaExam, bool) {
	var newest time.Time
	for _, d := range c.Facts.DXA {
		if (d.Measure != TScore && d.Measure != ZScore) || !whoSite(d.Site) || d.Date.After(c.Facts.AsOf) {
			continue
		}
		if d.Date.After(newest) {
			newest = d.Date
		}
	}
	if newest.IsZero() {
		return dxaExam{}, false
	}
	exam := dxaExam{Date: newest}
	for _, d := range c.Facts.DXA {
		if !whoSite(d.Site) || !dxaSameDay(d.Date, newest) {
			continue
		}
		switch d.Measure {
		case TScore:
			exam.TScores = append(exam.TScores, d)
		case ZScore:
			exam.ZScores = append(exam.ZScores, d)
		}
	}
	return exam, true
}

func whoSite(s Site) bool {
	switch s {
	case SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck, SiteForearm:
		return true
	}
	return false
}

func dxaSameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// lowestOf returns the lowest value over lumbar spine, total hip and
// femoral neck; the forearm counts only when it is the only site (§0.3).
func lowestAtWHOSites(ms []DXAMeasurement) (DXAMeasurement, bool) {
	var best, forearm DXAMeasurement
	found, foundForearm := false, false
	for _, d := range ms {
		if d.Site == SiteForearm {
			if !foundForearm || d.Value < forearm.Value {
				forearm, foundForearm = d, true
			}
			continue
		}
		if !found || d.Value < best.Value {
			best, found = d, true
		}
	}
	if found {
		return best, true
	}
	return forearm, foundForearm
}

// lowestCentral returns the lowest value at spine, total hip or femoral
// neck only (the sites R06 names).
func lowestAtCentralSites(ms []DXAMeasurement) (DXAMeasurement, bool) {
	var best DXAMeasurement
	found := false
	for _, d := range ms {
		if d.Site == SiteForearm {
			continue
		}
		if !found || d.Value < best.Value {
			best, found = d, true
		}
	}
	return best, found
}

// whoBMDClass is a WHO densitometric class.
type whoBMDClass int

const (
	whoNormal whoBMDClass = iota
	whoOsteopenia
	whoOsteoporosis
)

func classifyWHOTScore(th Thresholds, t float64) whoBMDClass {
	switch {
	case t <= th.TScoreOsteoporosis:
		return whoOsteoporosis
	case t < th.TScoreOsteopeniaUpper:
		return whoOsteopenia
	}
	return whoNormal
}

func (w whoBMDClass) text() Text {
	switch w {
	case whoOsteoporosis:
		return Text{NL: "osteoporose", EN: "osteoporosis"}
	case whoOsteopenia:
		return Text{NL: "osteopenie", EN: "osteopenia"}
	}
	return Text{NL: "normale botdichtheid", EN: "normal bone density"}
}

func dxaSiteText(s Site) Text {
	switch s {
	case SiteLumbarSpine:
		return Text{NL: "lumbale wervelkolom", EN: "lumbar spine"}
	case SiteTotalHip:
		return Text{NL: "totale heup", EN: "total hip"}
	case SiteFemoralNeck:
		return Text{NL: "heuphals", EN: "femoral neck"}
	case SiteForearm:
		return Text{NL: "onderarm", EN: "forearm"}
	}
	return Text{NL: "overig", EN: "other"}
}

func dxaMeasureText(m Measure) Text {
	switch m {
	case TScore:
		return Text{NL: "T-score", EN: "T-score"}
	case ZScore:
		return Text{NL: "Z-score", EN: "Z-score"}
	case BMD:
		return Text{NL: "BMD", EN: "BMD"}
	}
	return Text{NL: string(m), EN: string(m)}
}

// dxaEvidence shows one DXA number with its site.
func dxaEvidenceOf(d DXAMeasurement) Evidence {
	site, meas := dxaSiteText(d.Site), dxaMeasureText(d.Measure)
	unit := "SD"
	if d.Measure == BMD {
		unit = "g/cm2"
	}
	lat := Text{}
	switch d.Laterality {
	case "left":
		lat = Text{NL: " links", EN: " left"}
	case "right":
		lat = Text{NL: " rechts", EN: " right"}
	}
	return Evidence{
		Label:  Text{NL: meas.NL + " " + site.NL + lat.NL, EN: meas.EN + " " + site.EN + lat.EN},
		Value:  FormatNumber(d.Value),
		Unit:   unit,
		Date:   d.Date,
		Source: d.Source,
	}
}

func fractureEvidenceOf(f Condition) Evidence {
	label := Text{NL: "Fractuur", EN: "Fracture"}
	if f.Has(ConceptVertebralFracture) {
		label = Text{NL: "Wervelfractuur", EN: "Vertebral fracture"}
	}
	return Evidence{Label: label, ValueText: conditionName(f), Date: f.Onset, Source: f.Source}
}

// fracturesUntilNow returns the case-finding fractures dated at or before T
// (undated ones included); vertebral selects only vertebral fractures.
func fracturesUntilNow(c *Context, vertebral bool) []Condition {
	var out []Condition
	for _, f := range c.Fractures() {
		if f.Onset.After(c.Facts.AsOf) {
			continue
		}
		if vertebral && !f.Has(ConceptVertebralFracture) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func evalDexaWHOClassification(c *Context) []Finding {
	th := c.Thresholds
	exam, ok := newestDXAExam(c)
	if !ok || DaysBetween(exam.Date, c.Facts.AsOf) > th.DXARecentDays {
		return nil
	}
	lowT, hasT := lowestAtWHOSites(exam.TScores)
	lowZ, hasZ := lowestAtWHOSites(exam.ZScores)
	age, ageKnown := c.Age()
	youngMan := ageKnown && age < th.ZScoreUnderAge && c.Facts.Patient.Gender == "male"
	byZ := youngMan && hasZ
	if !hasT && !byZ {
		return nil
	}

	// Age, sex and the scores; fractures may still be added below.
	ev := make([]Evidence, 0, 2+len(exam.TScores)+len(exam.ZScores))
	if ageKnown {
		ev = append(ev, Evidence{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: itoa(age), UnitText: Text{NL: "jaar", EN: "years"}})
	}
	if g := c.Facts.Patient.Gender; g != "" {
		ev = append(ev, Evidence{Label: Text{NL: "Geslacht", EN: "Sex"}, ValueText: GenderText(g)})
	}
	for _, d := range exam.TScores {
		ev = append(ev, dxaEvidenceOf(d))
	}
	if byZ {
		for _, d := range exam.ZScores {
			ev = append(ev, dxaEvidenceOf(d))
		}
	}

	// Sources differ on the bound (WHO/NHG ≤ −2.5, MTX osteopathy case series
	// < −2.5); ≤ is applied. Men under 50: WHO/ISCD use the Z-score, the case
	// series the T-score; the Z-score is applied. The ISCD Z ≤ −2.0 cut-off is
	// not verified in this project. Reviewer notes, not card text.
	tThresholds := []Text{
		{NL: "osteoporose: T ≤ " + FormatNumberNL(th.TScoreOsteoporosis) + "",
			EN: "osteoporosis: T ≤ " + FormatNumber(th.TScoreOsteoporosis) + ""},
		{NL: "osteopenie: " + FormatNumberNL(th.TScoreOsteoporosis) + " < T < " + FormatNumberNL(th.TScoreOsteopeniaUpper) + " (WHO)",
			EN: "osteopenia: " + FormatNumber(th.TScoreOsteoporosis) + " < T < " + FormatNumber(th.TScoreOsteopeniaUpper) + " (WHO)"},
	}

	if byZ {
		below := lowZ.Value <= th.ZScoreBelowExpected
		site := dxaSiteText(lowZ.Site)
		verdict := Text{NL: "binnen het voor de leeftijd verwachte bereik", EN: "within the expected range for age"}
		if below {
			verdict = Text{NL: "onder het voor de leeftijd verwachte bereik", EN: "below the expected range for age"}
		}
		detail := Text{
			NL: "Bij mannen jonger dan " + itoa(th.ZScoreUnderAge) + " jaar wordt de DXA beoordeeld met de Z-score (vergelijking met leeftijdgenoten), niet met de WHO-klassen op basis van de T-score. " +
				"Laagste Z-score " + FormatNumberNL(lowZ.Value) + " (" + site.NL + "): " + verdict.NL + ".",
			EN: "In men younger than " + itoa(th.ZScoreUnderAge) + " the DXA is read by Z-score (comparison with peers of the same age), not by the WHO T-score classes. " +
				"Lowest Z-score " + FormatNumber(lowZ.Value) + " (" + site.EN + "): " + verdict.EN + ".",
		}
		if hasT {
			cls := classifyWHOTScore(th, lowT.Value).text()
			detail = appendParagraph(detail, Text{
				NL: "Ter informatie: volgens de WHO-klassen op basis van de T-score (zoals in de casuïstiek bij MTX-osteopathie) zou de uitslag \"" + cls.NL + "\" heten (laagste T-score " + FormatNumberNL(lowT.Value) + ", " + dxaSiteText(lowT.Site).NL + "). Die klassen gelden voor postmenopauzale vrouwen en mannen vanaf " + itoa(th.ZScoreUnderAge) + " jaar.",
				EN: "For information: by the WHO T-score classes (as used in the methotrexate osteopathy case report) the result would read \"" + cls.EN + "\" (lowest T-score " + FormatNumber(lowT.Value) + ", " + dxaSiteText(lowT.Site).EN + "). Those classes apply to postmenopausal women and men from age " + itoa(th.ZScoreUnderAge) + ".",
			})
		}
		if below {
			detail = appendParagraph(detail, Text{
				NL: "Een lage Z-score wijst op een mogelijke secundaire oorzaak; de richtlijn adviseert verwijzing naar de tweede lijn bij osteoporose onder de 50 jaar.",
				EN: "A low Z-score suggests a possible secondary cause; the guideline advises referral to secondary care for osteoporosis under age 50.",
			})
		}
		return []Finding{{
			Topic:     TopicDexaWHOClassification,
			Indicator: Info,
			Summary: Text{
				NL: "DXA (man < " + itoa(th.ZScoreUnderAge) + " jaar): laagste Z-score " + FormatNumberNL(lowZ.Value) + ": " + verdict.NL,
				EN: "DXA (man < " + itoa(th.ZScoreUnderAge) + " y): lowest Z-score " + FormatNumber(lowZ.Value) + ": " + verdict.EN,
			},
			Detail:   detail,
			Evidence: ev,
			Thresholds: append([]Text{
				{NL: "man < " + itoa(th.ZScoreUnderAge) + " jaar: Z-score in plaats van T-score",
					EN: "man < " + itoa(th.ZScoreUnderAge) + " years: Z-score instead of T-score"},
				{NL: "onder het voor de leeftijd verwachte bereik: Z ≤ " + FormatNumberNL(th.ZScoreBelowExpected) + " (ISCD)",
					EN: "below the expected range: Z ≤ " + FormatNumber(th.ZScoreBelowExpected) + " (ISCD)"},
			}, tThresholds...),
			Citations: []Citation{CiteISCDZScore, CiteWHOBMDClassification, CiteNHG},
		}}
	}

	cls := classifyWHOTScore(th, lowT.Value)
	clsText := cls.text()
	site := dxaSiteText(lowT.Site)
	summary := Text{
		NL: "DXA: laagste T-score " + FormatNumberNL(lowT.Value) + " (" + site.NL + "): " + clsText.NL + " (WHO)",
		EN: "DXA: lowest T-score " + FormatNumber(lowT.Value) + " (" + site.EN + "): " + clsText.EN + " (WHO)",
	}
	detail := Text{
		NL: "Indeling volgens de WHO op de laagste T-score van lumbale wervelkolom, totale heup en heuphals. " +
			"De NHG-Standaard onderscheidt voor de behandeling alleen T ≤ " + FormatNumberNL(th.TScoreOsteoporosis) + " en hoger (geen aparte klasse osteopenie). " +
			"Doel is niet het behandelen van een DXA-uitslag: de meeste patiënten met een fractuur hebben osteopenie.",
		EN: "WHO classification by the lowest T-score of lumbar spine, total hip and femoral neck. " +
			"For treatment the NHG guideline only distinguishes T ≤ " + FormatNumber(th.TScoreOsteoporosis) + " from higher values (no separate osteopenia class). " +
			"The aim is not to treat a DXA result: most patients with a fracture have osteopenia.",
	}
	all := fracturesUntilNow(c, false)
	vertebral := fracturesUntilNow(c, true)
	switch {
	case cls == whoOsteoporosis && len(all) > 0:
		summary = Text{
			NL: "DXA: laagste T-score " + FormatNumberNL(lowT.Value) + " (" + site.NL + ") met fractuur: ernstige (manifeste) osteoporose (WHO)",
			EN: "DXA: lowest T-score " + FormatNumber(lowT.Value) + " (" + site.EN + ") with a fracture: severe (established) osteoporosis (WHO)",
		}
		for _, f := range all {
			ev = append(ev, fractureEvidenceOf(f))
		}
	case len(vertebral) > 0:
		summary = Text{
			NL: "DXA: laagste T-score " + FormatNumberNL(lowT.Value) + " (" + site.NL + "): " + clsText.NL + "; met wervelfractuur: klinisch manifeste osteoporose",
			EN: "DXA: lowest T-score " + FormatNumber(lowT.Value) + " (" + site.EN + "): " + clsText.EN + "; with vertebral fracture: established osteoporosis",
		}
		detail = appendParagraph(detail, Text{
			NL: "Er is een wervelfractuur vastgelegd: ongeacht de T-score is er sprake van klinisch manifeste osteoporose (NHG: indicatie voor behandeling na een wervelfractuur).",
			EN: "A vertebral fracture is on record: whatever the T-score, this is clinically established osteoporosis (NHG: a vertebral fracture is an indication for treatment).",
		})
		for _, f := range vertebral {
			ev = append(ev, fractureEvidenceOf(f))
		}
	}
	switch {
	case !ageKnown:
		detail = appendParagraph(detail, Text{
			NL: "Leeftijd onbekend: de WHO-klassen op basis van de T-score gelden voor postmenopauzale vrouwen en mannen vanaf " + itoa(th.ZScoreUnderAge) + " jaar.",
			EN: "Age unknown: the WHO T-score classes apply to postmenopausal women and men from age " + itoa(th.ZScoreUnderAge) + ".",
		})
	case youngMan:
		detail = appendParagraph(detail, Text{
			NL: "Let op: bij mannen jonger dan " + itoa(th.ZScoreUnderAge) + " jaar hoort de Z-score te worden gebruikt; die ontbreekt in de uitslag.",
			EN: "Note: men younger than " + itoa(th.ZScoreUnderAge) + " should be read by Z-score, which the report does not give.",
		})
	case age < th.ZScoreUnderAge && c.Facts.Patient.Gender == "female":
		detail = appendParagraph(detail, Text{
			NL: "Let op: is de patiënte premenopauzaal, beoordeel dan de Z-score (de menopauzestatus is niet bekend in het dossier).",
			EN: "Note: if the patient is premenopausal, read the Z-score instead (menopausal status is not known from the record).",
		})
	}
	return []Finding{{
		Topic:      TopicDexaWHOClassification,
		Indicator:  Info,
		Summary:    summary,
		Detail:     detail,
		SeeAlso:    []SeeAlso{{Topic: TopicOsteoporosisTreatmentIndication, What: Text{NL: "de behandelindicatie", EN: "the treatment indication"}}},
		Evidence:   ev,
		Thresholds: tThresholds,
		Citations:  []Citation{CiteWHOBMDClassification, CiteNHG},
	}}
}
