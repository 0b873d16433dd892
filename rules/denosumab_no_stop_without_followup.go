package rules

import "time"

// R19 denosumab-no-stop-without-followup (rules.md §4 R19, §6 D8).
//
// Sources: SEED-GP "Denosumab … Geen hechting aan het bot; Rebound effect
// na stoppen therapie", "Risico op (multipele) wervelfracturen na stoppen
// met denosumab behandeling" and "Advies ECTS Denosumab stoppen … Laag
// fractuur risico: Behandeling met Denosumab staken en eenmalig zoledronaat
// iv geven" (Tsourdi, Bone 2017;105:11-17); ECTS 2017 "bisphosphonate
// therapy should be considered to reduce or prevent the rebound increase in
// bone turnover"; ECTS 2021 "alternative antiresorptive treatment should be
// initiated 6 months after the final denosumab injection", with efficacy
// that depends on the duration of denosumab (D8: partial; repeat dosing or
// bone turnover markers, details UNVERIFIED). Aclasta SmPC for the checks
// before zoledronic acid (creatinine clearance, calcium, vitamin D).
//
// Thresholds: ZOL_AFTER_DMAB_DAYS (183 days after the last injection),
// ZOL_TOO_EARLY_AFTER_DMAB_DAYS (150 days, [DESIGN]), DMAB_OP_STRENGTH_MG
// (60 mg; 120 mg Xgeva is excluded).
//
// Fires (critical) when denosumab 60 mg is explicitly stopped (see
// denosumab.go: at order-sign a draft that stops it, at patient-view a
// therapy-level record) and no bisphosphonate is given, ordered or planned
// after the last injection D. Lateness without an explicit stop is R18's.
// Suggests zoledronic acid 5 mg IV at D + 183 days (now, if that day has
// passed) or keeping denosumab (at most one).
//
// Timing check (info), at order-select and order-sign of zoledronic acid:
// when the infusion would be given < 150 days after the last denosumab
// injection (its planned date, else today), the ECTS advice to start the
// alternative 6 months after the final injection is shown, with a
// suggestion to re-plan it at D + 183 days.

// TopicDenosumabNoStopWithoutFollowup is the topic code of R19.
const TopicDenosumabNoStopWithoutFollowup = "denosumab-no-stop-without-followup"

// DenosumabNoStopWithoutFollowup is rule R19.
var DenosumabNoStopWithoutFollowup = Rule{
	Number: 19,
	Topic:  TopicDenosumabNoStopWithoutFollowup,
	Hooks:  []Hook{PatientView, OrderSelect, OrderSign},
	Eval:   evalDenosumabNoStopWithoutFollowup,
}

func init() { register(DenosumabNoStopWithoutFollowup) }

func evalDenosumabNoStopWithoutFollowup(c *Context) []Finding {
	doses := denosumabDoses(c)
	last, hasLast := lastDmabDose(doses)
	var out []Finding
	if hasLast && (c.Facts.Hook == OrderSelect || c.Facts.Hook == OrderSign) {
		out = append(out, zolTooEarlyFindings(c, last)...)
	}
	if c.Facts.Hook == OrderSelect {
		return out
	}
	stop, stopped := denosumabStop(c, doses)
	if !stopped {
		return out
	}
	since := stop.Start
	if hasLast {
		since = last.Date
	}
	if !since.IsZero() {
		if _, handedOver := bisphosphonateAfter(c, since); handedOver {
			return out
		}
	}
	return append(out, noStopFinding(c, stop, last, hasLast))
}

func noStopFinding(c *Context, stop MedicationRecord, last dmabDose, hasLast bool) Finding {
	th := c.Thresholds
	months := monthsOf(th.ZolAfterDmabDays)
	stopKind := recordKindText(stop.Kind)
	stopValue := dmabLabel(stop)
	if stop.DoNotPerform {
		stopValue.NL += ", niet toedienen (doNotPerform)"
		stopValue.EN += ", doNotPerform"
	} else {
		stopValue.NL += ", status " + StatusText(stop.Status).NL
		stopValue.EN += ", status " + stop.Status
	}
	ev := []Evidence{{
		Label:     Text{NL: "Denosumab gestopt (" + stopKind.NL + ")", EN: "Denosumab stopped (" + stopKind.EN + ")"},
		ValueText: stopValue,
		Date:      stopDate(stop),
		Source:    stop.Source,
	}}
	ev = append(ev, Evidence{
		Label:     Text{NL: "Bisfosfonaat na laatste injectie", EN: "Bisphosphonate after the last injection"},
		ValueText: Text{NL: "geen", EN: "none"},
	})

	detailNL := "Na stoppen van denosumab verdwijnt het effect snel (rebound van de botafbraak) en stijgt het risico op (multipele) wervelfracturen. " +
		"Stop denosumab daarom niet zonder vervolgbehandeling: geef eenmalig zoledroninezuur 5 mg iv, ongeveer " + months + " maanden na de laatste injectie (ECTS)."
	detailEN := "After denosumab is stopped its effect wears off quickly (rebound bone resorption) and the risk of (multiple) vertebral fractures rises. " +
		"Do not stop denosumab without follow-on treatment: give zoledronic acid 5 mg IV once, about " + months + " months after the last injection (ECTS)."
	detailNL += "\n\nControleer vóór zoledroninezuur de nierfunctie (eGFR), het calcium en het 25-OH vitamine D, en corrigeer tekorten."
	detailEN += "\n\nBefore zoledronic acid, check renal function (eGFR), calcium and 25-OH vitamin D, and correct any deficiency."
	detailNL += "\n\nECTS 2021: het effect van één infuus zoledroninezuur hangt af van hoe lang denosumab is gegeven en kan onvolledig zijn; " +
		"overweeg na langdurig gebruik een herhaalde gift of controle met botombouwmarkers."
	detailEN += "\n\nECTS 2021: the effect of a single zoledronic acid infusion depends on how long denosumab was given and may be incomplete; " +
		"after long-term use consider a repeat infusion or monitoring with bone turnover markers."

	var suggestions []Suggestion
	thresholds := []Text{{
		NL: "zoledroninezuur " + itoa(th.ZolAfterDmabDays) + " dagen na de laatste denosumab-injectie (ECTS 2021; nascholing huisartsen \"eenmalig zoledronaat iv\")",
		EN: "zoledronic acid " + itoa(th.ZolAfterDmabDays) + " days after the last denosumab injection (ECTS 2021; GP training course \"single zoledronate IV\")",
	}}
	keep := Text{NL: "Denosumab " + FormatNumberNL(th.DmabOPStrengthMg) + " mg toch voortzetten", EN: "Keep denosumab " + FormatNumber(th.DmabOPStrengthMg) + " mg instead"}
	if hasLast {
		ev = append(ev, lastDoseEvidence(last))
		planned, overdue := zolPlanDate(c, last.Date)
		orderDate := planned
		label := Text{
			NL: "Zoledroninezuur 5 mg iv eenmalig op " + FormatDateIn(planned, "nl"),
			EN: "Zoledronic acid 5 mg IV once on " + FormatDateIn(planned, "en"),
		}
		if overdue {
			orderDate = time.Time{}
			label = Text{
				NL: "Zoledroninezuur 5 mg iv eenmalig nu (geplande datum " + FormatDateIn(planned, "nl") + " is verstreken)",
				EN: "Zoledronic acid 5 mg IV once now (planned date " + FormatDateIn(planned, "en") + " has passed)",
			}
			detailNL += "\n\nDe laatste injectie is meer dan " + DurationText(th.ZolAfterDmabDays).NL + " geleden: geef zoledroninezuur zo snel mogelijk."
			detailEN += "\n\nThe last injection was more than " + DurationText(th.ZolAfterDmabDays).EN + " ago: give zoledronic acid as soon as possible."
		}
		if last.Weak {
			detailNL += "\n\n" + weakDoseNote.NL
			detailEN += "\n\n" + weakDoseNote.EN
		}
		suggestions = append(suggestions,
			SuggestMedication(KeyOrderZolAfterDenosumab, DrugOrderZoledronicAcid5mg, orderDate, label,
				Text{NL: "vervolg na stoppen denosumab (ECTS)", EN: "follow-on after stopping denosumab (ECTS)"}),
		)
		next := last.Date.AddDate(0, 0, th.DmabIntervalDays)
		if next.Before(c.Facts.AsOf.Truncate(day)) {
			next = time.Time{}
		}
		suggestions = append(suggestions, suggestDenosumab(c, next, keep))
	} else {
		c.Missing(Text{NL: "datum van de laatste denosumab-injectie", EN: "date of the last denosumab injection"})
		detailNL += "\n\nDe datum van de laatste injectie is onbekend: zoek deze op en plan zoledroninezuur " + itoa(th.ZolAfterDmabDays) + " dagen daarna."
		detailEN += "\n\nThe date of the last injection is unknown: look it up and plan zoledronic acid " + itoa(th.ZolAfterDmabDays) + " days after it."
		suggestions = append(suggestions, suggestDenosumab(c, time.Time{}, keep))
	}
	if stop.Kind == KindDraftOrder {
		// Keeping denosumab at order-sign means not signing the stop.
		k := &suggestions[len(suggestions)-1]
		k.Actions = append([]Action{{
			Type:        Delete,
			Description: Text{NL: "Stopopdracht denosumab niet ondertekenen (verwijderen)", EN: "Do not sign the denosumab stop (remove it)"},
			ResourceID:  stop.Source,
		}}, k.Actions...)
	}
	f := Finding{
		Topic:     TopicDenosumabNoStopWithoutFollowup,
		Indicator: Critical,
		Summary: Text{
			NL: "Denosumab niet stoppen zonder vervolg: geef eenmalig zoledroninezuur ~" + months + " mnd na de laatste injectie",
			EN: "Do not stop denosumab without follow-up: give zoledronic acid once, ~" + months + " months after the last injection",
		},
		Detail:       Text{NL: detailNL, EN: detailEN},
		Evidence:     ev,
		Thresholds:   thresholds,
		Citations:    []Citation{CiteECTS2021, CiteECTS2017, CiteNHG, CiteAclastaSmPC},
		Suggestions:  suggestions,
		SelectionAny: false,
		OverrideReasons: append(append([]OverrideReason(nil), StandardOverrideReasons...),
			OverrideReason{Code: "followup-elsewhere", Display: Text{NL: "Vervolgbehandeling elders gepland", EN: "Follow-on treatment planned elsewhere"}}),
	}
	// Zoledronic acid stays suggested even when contraindicated (stopping
	// denosumab without follow-up is worse), but then not recommended, the
	// contraindication first in the text and keeping denosumab recommended.
	if res := applyBPSafety(c, &f, true); res.AllBlocked {
		f.Summary = Text{
			NL: "Denosumab niet stoppen zonder vervolg: zoledroninezuur gecontra-indiceerd (" + res.FirstReason.NL + "), overleg specialist",
			EN: "Do not stop denosumab without follow-up: zoledronic acid contraindicated (" + res.FirstReason.EN + "), consult a specialist",
		}
		for i := range f.Suggestions {
			if f.Suggestions[i].Key == KeyOrderDenosumab60mg {
				f.Suggestions[i].Recommended = true
			}
		}
	}
	return f
}

// zolTooEarlyFindings checks zoledronic acid orders in the order session
// (at order-select the selected ones) against the last denosumab injection.
func zolTooEarlyFindings(c *Context, last dmabDose) []Finding {
	th := c.Thresholds
	var out []Finding
	for _, m := range c.DraftOrders(DrugZoledronicAcid) {
		if m.DoNotPerform || m.Status == "stopped" || m.Status == "cancelled" || m.Status == "entered-in-error" {
			continue
		}
		if c.Facts.Hook == OrderSelect && !m.Selected {
			continue
		}
		given := bpDate(c, m)
		gap := DaysBetween(last.Date, given)
		if gap < 0 || gap >= th.ZolTooEarlyAfterDmabDays {
			continue
		}
		planned, overdue := zolPlanDate(c, last.Date)
		months := monthsOf(th.ZolAfterDmabDays)
		label := Text{
			NL: "Zoledroninezuur verplaatsen naar " + FormatDateIn(planned, "nl"),
			EN: "Move zoledronic acid to " + FormatDateIn(planned, "en"),
		}
		orderDate := planned
		if overdue {
			orderDate = time.Time{}
		}
		replan := SuggestMedication("replan-zoledronic-acid-"+string(m.Source), DrugOrderZoledronicAcid5mg, orderDate, label,
			Text{NL: "vervolg na stoppen denosumab (ECTS)", EN: "follow-on after stopping denosumab (ECTS)"})
		replan.Actions = append([]Action{{Type: Delete, Description: Text{NL: "Huidige opdracht zoledroninezuur verwijderen", EN: "Remove the current zoledronic acid order"}, ResourceID: m.Source}}, replan.Actions...)
		detailNL := "Dit infuus zoledroninezuur komt " + itoa(gap) + " dagen na de laatste denosumab-injectie. De ECTS adviseert het alternatieve antiresorptieve middel " +
			months + " maanden (" + itoa(th.ZolAfterDmabDays) + " dagen) na de laatste injectie te starten, als het effect van denosumab uitgewerkt raakt."
		detailEN := "This zoledronic acid infusion comes " + itoa(gap) + " days after the last denosumab injection. The ECTS advises starting the alternative antiresorptive " +
			months + " months (" + itoa(th.ZolAfterDmabDays) + " days) after the final injection, as the effect of denosumab wears off."
		if last.Weak {
			detailNL += "\n\n" + weakDoseNote.NL
			detailEN += "\n\n" + weakDoseNote.EN
		}
		out = append(out, Finding{
			Topic:     TopicDenosumabNoStopWithoutFollowup,
			Indicator: Info,
			Summary: Text{
				NL: "Zoledroninezuur vroeg na denosumab: start het alternatief " + months + " maanden na de laatste injectie",
				EN: "Zoledronic acid early after denosumab: start the alternative " + months + " months after the final injection",
			},
			Detail: Text{NL: detailNL, EN: detailEN},
			Evidence: []Evidence{
				lastDoseEvidence(last),
				{Label: Text{NL: "Opdracht zoledroninezuur (geplande datum)", EN: "Zoledronic acid order (planned date)"}, ValueText: displayName(m), Date: given, Source: m.Source},
				{Label: Text{NL: "Interval", EN: "Interval"}, Value: itoa(gap), UnitText: Text{NL: "dagen", EN: "days"}},
			},
			Thresholds: []Text{{
				NL: "zoledroninezuur < " + itoa(th.ZolTooEarlyAfterDmabDays) + " dagen na de laatste injectie is vroeg; advies " + itoa(th.ZolAfterDmabDays) + " dagen (ECTS 2021)",
				EN: "zoledronic acid < " + itoa(th.ZolTooEarlyAfterDmabDays) + " days after the last injection is early; advised " + itoa(th.ZolAfterDmabDays) + " days (ECTS 2021)",
			}},
			Citations:       []Citation{CiteECTS2021, CiteECTS2017},
			Suggestions:     []Suggestion{replan},
			OverrideReasons: StandardOverrideReasons,
		})
	}
	return out
}
