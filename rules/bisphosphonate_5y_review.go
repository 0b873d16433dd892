package rules

import (
	"strings"
	"time"
)

// R14 bisphosphonate-5y-review (rules.md §4 R14).
//
// Sources: SEED-GP "Na 5 jaar behandeling…NHG" quoting NHG-Standaard
// Fractuurpreventie 2012 ("Na een behandeling van 5 jaar wordt de
// behandeling in principe gestaakt. Drie jaar na het staken … wordt het
// stappenplan opnieuw doorlopen. Bij patiënten met een persisterend hoog
// fractuurrisico kan de behandeling tot … maximaal 10 jaar worden
// voortgezet") and "Samenvatting na 5 jaar bisfosfonaten: Stoppen tenzij:
// nieuwe fracturen (overweeg switch), T-score heup(hals) < −2.5,
// aanhoudende risicofactoren, bijvoorbeeld prednisolon > 7.5 mg per dag";
// SEED-GP "Hoe breng je de patiënt in kaart? Opnieuw herhalen!" (DXA with
// VFA, labs: "Veiligheid continueren medicatie: bijvoorbeeld alkalische
// fosfatase"); NHGDoc stop-after-5-years alert; NIV 2022 standard
// re-evaluation after 5 years (alendronate, risedronate) and 3 years
// (zoledronic acid); ASBMR 2016 task force (older age, prior hip/vertebral
// fracture as reasons to consider continuing: D12, shown as "consider").
//
// Thresholds: ORAL_BP_REVIEW_YEARS (5 y = 1826 days), ZOL_REVIEW_YEARS (3
// infusions), BP_CONTINUE_HIP_T (≤ −2.5; seed "<", D2), VFA_GRADE1_COUNTS
// (false: a Genant grade 1 deformity is "uncertain", rules.md §7.5),
// GC_HIGH_DOSE_MG_PRED_EQ (≥ 7.5; seed "> 7.5", D3), DXA_REVIEW_MAX_AGE_MONTHS
// (12), LAB_FRESH_DAYS (180), BP_HOLIDAY_REEVAL_YEARS (3), BP_MAX_YEARS (10).
//
// Skipped when R15 bisphosphonate-10y-max applies. The "review decision
// documented in the last 12 months" suppression of rules.md cannot be
// evaluated: Facts carry no record of an acknowledged card (a recent DXA
// alone is not a decision, see seed case S4).

// TopicBisphosphonate5yReview is the topic code of R14.
const TopicBisphosphonate5yReview = "bisphosphonate-5y-review"

// Bisphosphonate5yReview is rule R14.
var Bisphosphonate5yReview = Rule{
	Number: 14,
	Topic:  TopicBisphosphonate5yReview,
	Hooks:  []Hook{PatientView, OrderSign},
	Eval:   evalBisphosphonate5yReview,
}

func init() { register(Bisphosphonate5yReview) }

// Suggestion keys of R14.
const (
	keyBPStopHoliday = "bisphosphonate-stop-drug-holiday"
	keyBPContinue    = "bisphosphonate-continue"
)

// criterionState is the outcome of one continuation criterion.
type criterionState int

const (
	criterionNotMet criterionState = iota
	criterionMet
	criterionUncertain
	criterionUnknown
)

func (s criterionState) text() Text {
	switch s {
	case criterionMet:
		return Text{NL: "ja", EN: "yes"}
	case criterionUncertain:
		return Text{NL: "onzeker", EN: "uncertain"}
	case criterionUnknown:
		return Text{NL: "onbekend", EN: "unknown"}
	}
	return Text{NL: "nee", EN: "no"}
}

// continuation is the evaluation of the three "stop unless" criteria.
type continuation struct {
	NewFracture, LowHipT, RiskFactor criterionState
	Evidence                         []Evidence
	// HipT is the hip T-score used; HipFresh tells whether its DXA is at
	// most DXA_REVIEW_MAX_AGE_MONTHS old.
	HipT     *DXAMeasurement
	HipFresh bool
	// Uncertain lists grade-1 deformities not counted and glucocorticoids
	// of unknown dose.
	Uncertain []Text
}

func evalBisphosphonate5yReview(c *Context) []Finding {
	th := c.Thresholds
	e := c.bisphosphonateExposure()
	if !e.Any() || !c.bpOnTreatment(e) || !c.bpReviewDue(e) || c.bpMaxReached(e) {
		return nil
	}
	crit := c.continuationCriteria(e)
	age, ageOK := c.Facts.Patient.AgeAt(c.Facts.AsOf)

	ev := e.evidence()
	ev = append(ev, crit.Evidence...)

	// ASBMR items (D12): shown as reasons to consider continuing.
	var asbmr []Text
	for _, cond := range c.Facts.Conditions {
		if cond.Has(ConceptHipFracture) && !cond.Has(ConceptFractureExcluded) {
			asbmr = append(asbmr, Text{NL: "eerdere heupfractuur (" + FormatDateIn(cond.Onset, "nl") + ")", EN: "prior hip fracture (" + FormatDateIn(cond.Onset, "en") + ")"})
			ev = append(ev, Evidence{Label: Text{NL: "Eerdere heupfractuur", EN: "Prior hip fracture"}, ValueText: conditionName(cond), Date: cond.Onset, Source: cond.Source})
			break
		}
	}
	if ageOK {
		asbmr = append(asbmr, Text{NL: "leeftijd " + itoa(age) + " jaar", EN: "age " + itoa(age) + " years"})
	}

	// Name the exposure by drug: 3 zoledronic acid infusions are not
	// "5 years of bisphosphonate".
	dur := Text{NL: itoa(th.OralBPReviewYears) + " jaar bisfosfonaat", EN: itoa(th.OralBPReviewYears) + " years of bisphosphonate"}
	switch {
	case e.OralDays >= yearsInDays(th.OralBPReviewYears):
		dur = Text{NL: itoa(th.OralBPReviewYears) + " jaar oraal bisfosfonaat", EN: itoa(th.OralBPReviewYears) + " years of oral bisphosphonate"}
	case len(e.Infusions) >= th.ZolReviewYears:
		dur = Text{NL: itoa(th.ZolReviewYears) + " jaar zoledroninezuur", EN: itoa(th.ZolReviewYears) + " years of zoledronic acid"}
	}
	reason := Text{NL: "herbeoordeling na " + dur.NL, EN: "review after " + dur.EN}
	maxYears, maxDate := c.bpMaxDate(e)
	continueSug := Suggestion{
		Key: keyBPContinue,
		Label: Text{
			NL: "Voortzetten tot maximaal " + itoa(maxYears) + " jaar bij blijvend hoog fractuurrisico" + asbmrSuffix(asbmr, "nl"),
			EN: "Continue up to " + itoa(maxYears) + " years if fracture risk stays high" + asbmrSuffix(asbmr, "en"),
		},
		Actions: []Action{{
			Type: Create,
			Description: Text{
				NL: "Herbeoordeling bij het bereiken van " + itoa(maxYears) + " jaar (" + FormatDateIn(maxDate, "nl") + ")",
				EN: "Re-evaluation when " + itoa(maxYears) + " years are reached (" + FormatDateIn(maxDate, "en") + ")",
			},
			Order: &Order{Kind: OrderFollowUp, Date: maxDate, Reason: Text{NL: "maximale behandelduur bisfosfonaat", EN: "maximum bisphosphonate treatment duration"}}},
		},
	}
	stopSug := c.stopBPSuggestion(keyBPStopHoliday,
		Text{
			NL: "Bisfosfonaat staken (drug holiday), calcium/vitamine D voortzetten; herbeoordeling over " + itoa(th.BPHolidayReevalYears) + " jaar",
			EN: "Stop the bisphosphonate (drug holiday), keep calcium/vitamin D; re-evaluate in " + itoa(th.BPHolidayReevalYears) + " years",
		}, reason, false)

	var sugs []Suggestion
	var advice Text
	switch {
	case crit.NewFracture == criterionMet:
		advice = Text{
			NL: "Nieuwe fractuur tijdens de behandeling: overweeg een switch naar andere medicatie (verwijzing tweede lijn).",
			EN: "New fracture during treatment: consider switching to another drug (referral to secondary care).",
		}
		sugs = append(sugs, referralSuggestion(Text{NL: "nieuwe fractuur na ≥ 5 jaar bisfosfonaat: switch overwegen", EN: "new fracture after ≥ 5 years of bisphosphonate: consider a switch"}, true))
	case crit.LowHipT == criterionMet || crit.RiskFactor == criterionMet:
		advice = Text{
			NL: "Persisterend hoog fractuurrisico: voortzetten tot maximaal " + itoa(maxYears) + " jaar; weeg de afname van het fractuurrisico af tegen zeldzame bijwerkingen (osteonecrose van de kaak, slokdarmcarcinoom, atypische femurschachtfractuur).",
			EN: "Persistently high fracture risk: continue up to " + itoa(maxYears) + " years; weigh the fracture-risk reduction against rare adverse effects (osteonecrosis of the jaw, oesophageal carcinoma, atypical femoral fracture).",
		}
		continueSug.Recommended = true
		sugs = append(sugs, continueSug)
	case crit.LowHipT == criterionUnknown:
		advice = Text{
			NL: "Geen DXA van de heup van ≤ " + itoa(th.DXAReviewMaxAgeMonths) + " maanden oud: herhaal eerst DXA met VFA en beslis daarna. Zonder aanhoudend hoog risico wordt de behandeling gestaakt.",
			EN: "No hip DXA ≤ " + itoa(th.DXAReviewMaxAgeMonths) + " months old: repeat DXA with VFA first, then decide. Without a persistently high risk, treatment is stopped.",
		}
		sugs = append(sugs, stopSug, continueSug)
	default:
		advice = Text{
			NL: "Geen van de criteria om door te gaan is vervuld: staak het bisfosfonaat (drug holiday), zet calcium/vitamine D voort en doorloop het stappenplan opnieuw over " + itoa(th.BPHolidayReevalYears) + " jaar, of eerder bij een nieuwe fractuur. Voortzetten tot " + itoa(maxYears) + " jaar blijft een optie als u het risico blijvend hoog acht (ASBMR: bijv. eerdere heupfractuur, hogere leeftijd).",
			EN: "None of the criteria for continuing is met: stop the bisphosphonate (drug holiday), keep calcium/vitamin D and repeat the stepwise evaluation in " + itoa(th.BPHolidayReevalYears) + " years, or earlier after a new fracture. Continuing up to " + itoa(maxYears) + " years remains an option if you judge the risk to stay high (ASBMR: e.g. prior hip fracture, older age).",
		}
		stopSug.Recommended = true
		sugs = append(sugs, stopSug, continueSug)
	}
	if !crit.HipFresh {
		sugs = append(sugs, SuggestDXA(true, Text{NL: "herbeoordeling na 5 jaar bisfosfonaat", EN: "review after 5 years of bisphosphonate"}))
	}
	var labs []Analyte
	if _, ok := c.LatestLab(AnalyteALP, th.LabFreshDays); !ok {
		labs = append(labs, AnalyteALP)
	}
	if _, ok := c.LatestLab(AnalyteEGFR, th.LabFreshDays); !ok {
		labs = append(labs, AnalyteCreatinine, AnalyteEGFR)
	}
	if len(labs) > 0 {
		labs = append(labs, AnalyteCalcium, AnalyteVitaminD)
		sugs = append(sugs, SuggestLabPanel(labs, Text{NL: "veiligheid voortzetten bisfosfonaat", EN: "safety of continuing the bisphosphonate"}))
	}

	detailNL := "Criteria om na " + itoa(th.OralBPReviewYears) + " jaar (zoledroninezuur: " + itoa(th.ZolReviewYears) + " jaar) door te gaan (\"stoppen, tenzij\"):\n\n" +
		"- (a) nieuwe fractuur tijdens behandeling: " + crit.NewFracture.text().NL + "\n" +
		"- (b) T-score heup(hals) ≤ " + FormatNumberNL(th.BPContinueHipT) + ": " + crit.LowHipT.text().NL + "\n" +
		"- (c) aanhoudende risicofactor (bijv. prednisolon ≥ " + FormatNumberNL(th.GCHighDoseMgPredEq) + " mg per dag): " + crit.RiskFactor.text().NL
	detailEN := "Criteria for continuing after " + itoa(th.OralBPReviewYears) + " years (zoledronic acid: " + itoa(th.ZolReviewYears) + " years) (\"stop unless\"):\n\n" +
		"- (a) new fracture during treatment: " + crit.NewFracture.text().EN + "\n" +
		"- (b) hip (neck) T-score ≤ " + FormatNumber(th.BPContinueHipT) + ": " + crit.LowHipT.text().EN + "\n" +
		"- (c) persisting risk factor (e.g. prednisolone ≥ " + FormatNumber(th.GCHighDoseMgPredEq) + " mg/day): " + crit.RiskFactor.text().EN
	for _, u := range crit.Uncertain {
		detailNL += "\n- onzeker: " + u.NL
		detailEN += "\n- uncertain: " + u.EN
	}
	detailNL += "\n\n" + advice.NL
	detailEN += "\n\n" + advice.EN

	return []Finding{{
		Topic:     TopicBisphosphonate5yReview,
		Indicator: Warning,
		Summary: Text{
			NL: "≥" + dur.NL + ": herbeoordelen; stoppen tenzij nieuwe fractuur, heup-T ≤ " + FormatNumberNL(th.BPContinueHipT) + " of risicofactor",
			EN: "≥" + dur.EN + ": re-evaluate; stop unless new fracture, hip T ≤ " + FormatNumber(th.BPContinueHipT) + " or risk factor",
		},
		Detail:   Text{NL: detailNL, EN: detailEN},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "oraal bisfosfonaat ≥ " + itoa(th.OralBPReviewYears) + " jaar (" + itoa(yearsInDays(th.OralBPReviewYears)) + " dagen) of zoledroninezuur ≥ " + itoa(th.ZolReviewYears) + " infusen (1 jaar per infuus)",
				EN: "oral bisphosphonate ≥ " + itoa(th.OralBPReviewYears) + " years (" + itoa(yearsInDays(th.OralBPReviewYears)) + " days) or zoledronic acid ≥ " + itoa(th.ZolReviewYears) + " infusions (1 year per infusion)"},
			{NL: "T-score heup(hals) ≤ " + FormatNumberNL(th.BPContinueHipT) + "",
				EN: "hip (neck) T ≤ " + FormatNumber(th.BPContinueHipT) + ""},
			{NL: "prednisolonequivalent ≥ " + FormatNumberNL(th.GCHighDoseMgPredEq) + " mg/dag",
				EN: "prednisolone equivalent ≥ " + FormatNumber(th.GCHighDoseMgPredEq) + " mg/day"},
			grade1Threshold(th),
		},
		Citations:       []Citation{CiteNHG, CiteNHGStopBP, CiteNIVLongTerm, CiteASBMR2016},
		Suggestions:     sugs,
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// bpMaxDate returns the maximum duration that applies (oral BP_MAX_YEARS,
// or ZOL_MAX_YEARS for zoledronic acid alone) and the date it is reached if
// treatment continues from T.
func (c *Context) bpMaxDate(e bpExposure) (years int, date time.Time) {
	th := c.Thresholds
	if e.OralDays == 0 {
		return th.ZolMaxYears, c.Facts.AsOf.AddDate((th.ZolMaxYears-len(e.Infusions))*zolYearsPerInfusion, 0, 0)
	}
	return th.BPMaxYears, c.Facts.AsOf.AddDate(0, 0, yearsInDays(th.BPMaxYears)-e.days())
}

// grade1Threshold says whether VFA Genant grade 1 counts. It is a setting
// (VFAGrade1Counts, off by default: the guidelines are not explicit); that is
// a note for reviewers, the card only says which applies.
func grade1Threshold(th Thresholds) Text {
	if th.VFAGrade1Counts {
		return Text{NL: "VFA Genant graad 1 telt als fractuur", EN: "VFA Genant grade 1 counts as a fracture"}
	}
	return Text{NL: "VFA Genant graad 1 telt niet als fractuur", EN: "VFA Genant grade 1 does not count as a fracture"}
}

func asbmrSuffix(items []Text, lang string) string {
	if len(items) == 0 {
		return ""
	}
	var parts []string
	for _, it := range items {
		parts = append(parts, it.In(lang))
	}
	return " (ASBMR: " + strings.Join(parts, ", ") + ")"
}

// continuationCriteria evaluates the SEED-GP "stoppen tenzij" criteria.
func (c *Context) continuationCriteria(e bpExposure) continuation {
	th := c.Thresholds
	var out continuation
	start := e.Start()

	// (a) a new fracture during treatment: a counted fracture dated on or
	// after the first BP day, or a counted vertebral fracture of unknown
	// onset (found on VFA during treatment).
	for _, f := range c.Fractures() {
		during := !f.Onset.IsZero() && !f.Onset.Before(start) && !f.Onset.After(c.Facts.AsOf)
		unknownVertebral := f.Onset.IsZero() && f.Has(ConceptVertebralFracture)
		if !during && !unknownVertebral {
			continue
		}
		out.NewFracture = criterionMet
		label := Text{NL: "Nieuwe fractuur tijdens behandeling", EN: "New fracture during treatment"}
		if unknownVertebral {
			label = Text{NL: "Wervelfractuur op VFA, begin onbekend (telt mee)", EN: "Vertebral fracture on VFA, onset unknown (counted)"}
		}
		out.Evidence = append(out.Evidence, Evidence{Label: label, ValueText: conditionName(f), Date: f.Onset, Source: f.Source})
	}
	if !th.VFAGrade1Counts {
		for _, cond := range c.Facts.Conditions {
			if !cond.Has(ConceptVertebralFracture) || cond.GenantGrade != 1 {
				continue
			}
			if !cond.Onset.IsZero() && cond.Onset.Before(start) {
				continue
			}
			if out.NewFracture != criterionMet {
				out.NewFracture = criterionUncertain
			}
			out.Uncertain = append(out.Uncertain, Text{
				NL: "milde wervelvervorming (Genant graad 1) op VFA, telt standaard niet als nieuwe fractuur",
				EN: "mild vertebral deformity (Genant grade 1) on VFA, not counted as a new fracture by default",
			})
			out.Evidence = append(out.Evidence, Evidence{
				Label:     Text{NL: "Wervelvervorming Genant graad 1 (niet meegeteld)", EN: "Vertebral deformity Genant grade 1 (not counted)"},
				ValueText: conditionName(cond), Date: cond.Onset, Source: cond.Source,
			})
		}
	}

	// (b) hip (total hip or femoral neck) T-score of the latest hip DXA.
	if hip, ok := c.latestHipTScore(); ok {
		out.HipT = &hip
		out.HipFresh = !hip.Date.Before(MonthsBefore(c.Facts.AsOf, th.DXAReviewMaxAgeMonths))
		out.Evidence = append(out.Evidence, Evidence{
			Label: Text{NL: "Laagste T-score heup(hals)", EN: "Lowest hip (neck) T-score"},
			Value: FormatNumber(hip.Value), Date: hip.Date, Source: hip.Source,
		})
		switch {
		case !out.HipFresh:
			out.LowHipT = criterionUnknown
		case hip.Value <= th.BPContinueHipT:
			out.LowHipT = criterionMet
		}
	} else {
		out.LowHipT = criterionUnknown
	}

	// (c) persisting risk factor: systemic glucocorticoid ≥ 7.5 mg/day
	// prednisolone equivalent in use now.
	for _, m := range c.Records(DrugGlucocorticoidSystemic, false) {
		if !c.StatusActive(m) && (m.End.IsZero() || m.End.Before(c.Facts.AsOf)) {
			continue
		}
		// One table of prednisolone-equivalent factors (glucocorticoid.go)
		// serves both this review and glucocorticoid-bone-risk.
		dose, known := PrednisoloneEquivalentMg(m)
		if !known {
			if out.RiskFactor != criterionMet {
				out.RiskFactor = criterionUncertain
			}
			out.Uncertain = append(out.Uncertain, Text{
				NL: "systemisch glucocorticoïd (" + m.DisplayName().NL + ") met onbekende dosis",
				EN: "systemic glucocorticoid (" + m.DisplayName().EN + ") of unknown dose",
			})
			out.Evidence = append(out.Evidence, Evidence{Label: Text{NL: "Systemisch glucocorticoïd, dosis onbekend", EN: "Systemic glucocorticoid, dose unknown"}, ValueText: m.DisplayName(), Date: m.Start, Source: m.Source})
			continue
		}
		if dose >= th.GCHighDoseMgPredEq {
			out.RiskFactor = criterionMet
		}
		out.Evidence = append(out.Evidence, Evidence{
			Label: Text{NL: "Systemisch glucocorticoïd (" + m.DisplayName().NL + "), prednisolonequivalent", EN: "Systemic glucocorticoid (" + m.Name + "), prednisolone equivalent"},
			Value: FormatNumber(dose), UnitText: Text{NL: "mg/dag", EN: "mg/day"}, Date: m.Start, Source: m.Source,
		})
	}
	return out
}

// latestHipTScore returns the lowest hip T-score (total hip or femoral
// neck, "heup(hals)") of the most recent DXA with a hip T-score.
func (c *Context) latestHipTScore() (DXAMeasurement, bool) {
	var latest time.Time
	for _, d := range c.Facts.DXA {
		if d.Measure == TScore && (d.Site == SiteTotalHip || d.Site == SiteFemoralNeck) && !d.Date.After(c.Facts.AsOf) && d.Date.After(latest) {
			latest = d.Date
		}
	}
	if latest.IsZero() {
		return DXAMeasurement{}, false
	}
	var best DXAMeasurement
	found := false
	for _, d := range c.Facts.DXA {
		if d.Measure == TScore && (d.Site == SiteTotalHip || d.Site == SiteFemoralNeck) && d.Date.Equal(latest) {
			if !found || d.Value < best.Value {
				best, found = d, true
			}
		}
	}
	return best, found
}
