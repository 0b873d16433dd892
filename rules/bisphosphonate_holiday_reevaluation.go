package rules

import "time"

// R16 bisphosphonate-holiday-reevaluation (rules.md §4 R16).
//
// Sources: SEED-GP "Na 5 jaar behandeling…NHG" quoting NHG-Standaard
// Fractuurpreventie 2012 ("Drie jaar na het staken van de medicatie of
// eerder als er in de periode na het staken een nieuwe fractuur ontstaat,
// wordt het stappenplan opnieuw doorlopen"); SEED-GP "Controlebeleid 1e
// lijn" ("8 jaar Controle": 3 years after stopping at 5 years); SEED-GP "Hoe
// breng je de patiënt in kaart? Opnieuw herhalen!" (DXA with VFA, labs).
//
// Thresholds: BP_HOLIDAY_REEVAL_YEARS (3). The holiday starts at S, the end
// of the last bisphosphonate exposure: the end of the last oral episode, or
// one year after the last zoledronic acid infusion (1 year of cover per
// infusion, rules.md §0.3).
//
// Fires (patient-view) when no osteoporosis drug is in use and no other
// osteoporosis drug was started after S (a switch to denosumab is not a
// holiday; the denosumab rules own it):
//   - T ≥ S + 3 years and no DXA since S + 3 years → info;
//   - a fracture dated after S with no DXA since that fracture → warning.
//
// Both at once give one warning card.

// TopicBisphosphonateHolidayReevaluation is the topic code of R16.
const TopicBisphosphonateHolidayReevaluation = "bisphosphonate-holiday-reevaluation"

// BisphosphonateHolidayReevaluation is rule R16.
var BisphosphonateHolidayReevaluation = Rule{
	Number: 16,
	Topic:  TopicBisphosphonateHolidayReevaluation,
	Hooks:  []Hook{PatientView},
	Eval:   evalBisphosphonateHolidayReevaluation,
}

func init() { register(BisphosphonateHolidayReevaluation) }

func evalBisphosphonateHolidayReevaluation(c *Context) []Finding {
	th := c.Thresholds
	T := c.Facts.AsOf
	e := c.bisphosphonateExposure()
	if !e.Any() || c.bisphosphonateActive(e) || c.ActiveOsteoporosisDrug() {
		return nil
	}
	stop := e.End(T)
	if stop.After(T) || c.otherOsteoporosisDrugSince(stop) {
		return nil
	}
	ev := e.evidence()
	ev = append(ev, Evidence{Label: Text{NL: "Einde bisfosfonaatgebruik (begin drug holiday)", EN: "End of bisphosphonate use (start of drug holiday)"}, ValueText: Text{NL: "gestopt", EN: "stopped"}, Date: stop})

	var newFracture *Condition
	for _, f := range c.Fractures() {
		if f.Onset.IsZero() || !f.Onset.After(stop) || f.Onset.After(T) || c.DXAOnOrAfter(f.Onset) {
			continue
		}
		f := f
		newFracture = &f
	}
	due := stop.AddDate(th.BPHolidayReevalYears, 0, 0)
	holidayOver := !due.After(T) && !c.DXAOnOrAfter(due)
	if newFracture == nil && !holidayOver {
		return nil
	}

	finding := Finding{
		Topic:     TopicBisphosphonateHolidayReevaluation,
		Indicator: Info,
		Summary: Text{
			NL: itoa(th.BPHolidayReevalYears) + " jaar na stoppen bisfosfonaat: stappenplan opnieuw doorlopen (DXA+VFA, lab, risicofactoren)",
			EN: itoa(th.BPHolidayReevalYears) + " years after stopping bisphosphonate: repeat the stepwise evaluation (DXA+VFA, labs, risk factors)",
		},
		Thresholds: []Text{
			{NL: "herbeoordeling " + itoa(th.BPHolidayReevalYears) + " jaar na staken, of eerder bij een nieuwe fractuur (NHG 2012)",
				EN: "re-evaluation " + itoa(th.BPHolidayReevalYears) + " years after stopping, or earlier after a new fracture (NHG 2012)"},
			{NL: "zoledroninezuur: 1 jaar dekking per infuus", EN: "zoledronic acid: 1 year of cover per infusion"},
		},
		Citations:       []Citation{CiteNHG, CiteNIVLongTerm},
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}
	detailNL := "Het bisfosfonaat is gestopt op " + FormatDateIn(stop, "nl") + " (drug holiday). "
	detailEN := "The bisphosphonate was stopped on " + FormatDateIn(stop, "en") + " (drug holiday). "
	if newFracture != nil {
		finding.Indicator = Warning
		finding.Summary = Text{
			NL: "Nieuwe fractuur tijdens drug holiday bisfosfonaat: nu herbeoordelen (DXA+VFA, lab)",
			EN: "New fracture during bisphosphonate drug holiday: re-evaluate now (DXA+VFA, labs)",
		}
		ev = append(ev, Evidence{Label: Text{NL: "Nieuwe fractuur na staken", EN: "New fracture after stopping"}, ValueText: conditionName(*newFracture), Date: newFracture.Onset, Source: newFracture.Source})
		detailNL += "Na het staken is een nieuwe fractuur ontstaan: doorloop het stappenplan nu opnieuw en overweeg hervatten of een ander middel. "
		detailEN += "A new fracture occurred after stopping: repeat the stepwise evaluation now and consider restarting or another drug. "
	}
	if holidayOver {
		detailNL += "De herbeoordeling was gepland op " + FormatDateIn(due, "nl") + ". "
		detailEN += "The re-evaluation was due on " + FormatDateIn(due, "en") + ". "
	}
	detailNL += "Herhaal: type fractuur en trauma, risicofactoren (leefstijl, medicatie, valrisico), DXA met VFA en/of lengtemeting, laboratoriumonderzoek."
	detailEN += "Repeat: fracture type and trauma, risk factors (lifestyle, medication, fall risk), DXA with VFA and/or height measurement, laboratory tests."
	finding.Detail = Text{NL: detailNL, EN: detailEN}
	finding.Evidence = ev

	since := due
	if newFracture != nil {
		since = newFracture.Onset
	}
	reason := Text{NL: "herbeoordeling na drug holiday bisfosfonaat", EN: "re-evaluation after bisphosphonate drug holiday"}
	finding.Suggestions = append(finding.Suggestions, SuggestDXA(true, reason))
	if labs := c.labsMissingSince(CoreLabPanel, since.AddDate(0, 0, -th.LabFreshDays)); len(labs) > 0 {
		finding.Suggestions = append(finding.Suggestions, SuggestLabPanel(labs, reason))
	}
	return []Finding{finding}
}

// bpHolidayOwnsFracture reports whether fracture f falls to this rule's
// "new fracture during drug holiday" trigger: a bisphosphonate episode
// ended before the fracture date, no bisphosphonate or other osteoporosis
// drug is active or started since. Case finding (R01) then stays silent
// for f, so that one fracture gets one DXA+VFA/lab card.
func (c *Context) bpHolidayOwnsFracture(f Condition) bool {
	T := c.Facts.AsOf
	if f.Onset.IsZero() || f.Onset.After(T) {
		return false
	}
	e := c.bisphosphonateExposure()
	if !e.Any() || c.bisphosphonateActive(e) || c.ActiveOsteoporosisDrug() {
		return false
	}
	stop := e.End(T)
	if stop.After(T) || c.otherOsteoporosisDrugSince(stop) {
		return false
	}
	return f.Onset.After(stop)
}

// otherOsteoporosisDrugSince reports whether a non-bisphosphonate
// osteoporosis drug was given or started on or after t (a switch, not a
// holiday). Denosumab 120 mg (oncology) does not count.
func (c *Context) otherOsteoporosisDrugSince(t time.Time) bool {
	for _, cl := range OsteoporosisDrugs {
		if cl == DrugBisphosphonate {
			continue
		}
		for _, m := range c.Records(cl, false) {
			if m.Is(DrugBisphosphonate) || c.IsOncologyDenosumab(m) {
				continue
			}
			if !m.Start.Before(t) && !m.Start.After(c.Facts.AsOf) {
				return true
			}
		}
	}
	return false
}
