package rules

// R11 vitamin-d-deficiency (rules.md §4 R11).
//
// Sources: SEED-GP lab table Casus 1 ("Vitamine D 31 ➢ 50 — Bij
// deficiëntie geen goede botaanmaak"); SEED-GP Casus 3 ("vitamine D > 50
// nmol/L" as a normal finding); NHG-Standaard Fractuurpreventie 2012
// (vitamin D deficiency is treated by the GP). The colecalciferol dose
// (800 IE daily) is UNVERIFIED (rules.md §7.8).
//
// Thresholds: VITD_DEFICIENT (< 50 nmol/L; ng/mL is converted × 2.496 by
// package fhir), LAB_FRESH_DAYS (180: older results are not used).
//
// Fires at patient-view within a fracture-prevention work-up or treatment,
// and at order-select/order-sign of a bisphosphonate or denosumab, when the
// latest fresh 25-OH vitamin D is below 50 nmol/L. When a bone drug is in
// use or ordered and no calcium is taken, the suggestion is the calcium +
// colecalciferol combination (it then also covers R13).

// TopicVitaminDDeficiency is the topic code of R11.
const TopicVitaminDDeficiency = "vitamin-d-deficiency"

// VitaminDDeficiency is rule R11.
var VitaminDDeficiency = Rule{
	Number: 11,
	Topic:  TopicVitaminDDeficiency,
	Hooks:  []Hook{PatientView, OrderSelect, OrderSign},
	Eval:   evalVitaminDDeficiency,
}

func init() { register(VitaminDDeficiency) }

// keyOrderVitaminD is shared by R11 and R13 so that one vitamin D product
// is suggested per response.
const keyOrderVitaminD = "order-vitamin-d"

func evalVitaminDDeficiency(c *Context) []Finding {
	th := c.Thresholds
	drafts := c.boneDrugDrafts(DrugBisphosphonate, DrugDenosumab)
	if c.Facts.Hook == PatientView {
		if !c.inFracturePreventionContext() {
			return nil
		}
	} else if len(drafts) == 0 {
		return nil
	}
	vitD, ok := c.LatestLab(AnalyteVitaminD, th.LabFreshDays)
	if !ok || !vitD.Below(th.VitDDeficient) {
		return nil
	}
	ev := []Evidence{labEvidence(Text{NL: "25-OH-vitamine D", EN: "25-OH vitamin D"}, vitD)}
	for _, d := range drafts {
		ev = append(ev, Evidence{Label: Text{NL: "Conceptorder", EN: "Draft order"}, ValueText: displayName(d), Source: d.Source})
	}
	onVitD := c.Active(DrugVitaminD) || len(c.DraftOrders(DrugVitaminD)) > 0
	detailNL := "25-OH-vitamine D is " + vitD.DisplayText().NL + " nmol/L (< " + FormatNumberNL(th.VitDDeficient) + "): bij een tekort is de botaanmaak onvoldoende. Vul vitamine D aan vóór of samen met botafbraakremmende medicatie (bij zoledroninezuur en denosumab ook vanwege het risico op hypocalciëmie)."
	detailEN := "25-OH vitamin D is " + vitD.Display() + " nmol/L (< " + FormatNumber(th.VitDDeficient) + "): deficiency impairs bone formation. Supplement vitamin D before or with antiresorptive therapy (with zoledronic acid and denosumab also because of the risk of hypocalcaemia)."
	var sugs []Suggestion
	if onVitD {
		detailNL += "\n\nEr wordt al vitamine D gebruikt: controleer dosis en therapietrouw."
		detailEN += "\n\nVitamin D is already prescribed: check the dose and adherence."
		for _, m := range c.Records(DrugVitaminD, true) {
			ev = append(ev, Evidence{Label: Text{NL: "Vitamine D-preparaat", EN: "Vitamin D product"}, ValueText: displayName(m), Date: m.Start, Source: m.Source})
		}
	} else {
		reason := Text{NL: "25-OH-vitamine D " + vitD.DisplayText().NL + " nmol/L", EN: "25-OH vitamin D " + vitD.Display() + " nmol/L"}
		boneDrug := c.ActiveOsteoporosisDrug() || len(drafts) > 0
		if boneDrug && !c.Active(DrugCalcium) {
			sugs = append(sugs, SuggestMedication(keyOrderVitaminD, DrugOrderCalciumVitD, c.Facts.AsOf,
				Text{NL: "Calcium/colecalciferol voorschrijven", EN: "Prescribe calcium/colecalciferol"}, reason))
		} else {
			sugs = append(sugs, SuggestMedication(keyOrderVitaminD, DrugOrderColecalciferol, c.Facts.AsOf,
				Text{NL: "Colecalciferol 800 IE per dag voorschrijven", EN: "Prescribe colecalciferol 800 IU daily"}, reason))
		}
		sugs[0].Recommended = true
	}
	summary := Text{
		NL: "25-OH-vitamine D " + vitD.DisplayText().NL + " nmol/L (< " + FormatNumberNL(th.VitDDeficient) + "): suppleren vóór/met botafbraakremmer",
		EN: "25-OH vitamin D " + vitD.Display() + " nmol/L (< " + FormatNumber(th.VitDDeficient) + "): supplement before/with antiresorptive therapy",
	}
	// Zoledronic acid in the order session: the Aclasta SmPC (4.4) asks
	// to correct vitamin D before the infusion, so the infusion is
	// postponed, not given alongside (issue 12, the planner's veto).
	for _, d := range drafts {
		if !d.Is(DrugZoledronicAcid) {
			continue
		}
		summary = Text{
			NL: "25-OH-vitamine D " + vitD.DisplayText().NL + " nmol/L (< " + FormatNumberNL(th.VitDDeficient) + "): stel zoledroninezuur uit, vul eerst vitamine D aan",
			EN: "25-OH vitamin D " + vitD.Display() + " nmol/L (< " + FormatNumber(th.VitDDeficient) + "): postpone zoledronic acid, replete vitamin D first",
		}
		detailNL = "Stel het zoledroninezuurinfuus uit en vul eerst vitamine D aan (Aclasta-SmPC); geef het infuus als 25-OH-vitamine D ≥ " + FormatNumberNL(th.VitDDeficient) + " nmol/L is. " + detailNL
		detailEN = "Postpone the zoledronic acid infusion and replete vitamin D first (Aclasta SmPC); infuse once 25-OH vitamin D is ≥ " + FormatNumber(th.VitDDeficient) + " nmol/L. " + detailEN
		sugs = append(sugs, SuggestDeleteDraft(d, Text{NL: "Opdracht zoledroninezuur uitstellen (verwijderen)", EN: "Postpone the zoledronic acid order (remove it)"}))
		break
	}
	return []Finding{{
		Topic:        TopicVitaminDDeficiency,
		Indicator:    Warning,
		Summary:      summary,
		SelectionAny: len(sugs) > 1,
		Detail:       Text{NL: detailNL, EN: detailEN},
		Evidence:     ev,
		Thresholds: []Text{
			{NL: "25-OH-vitamine D < " + FormatNumberNL(th.VitDDeficient) + " nmol/L (nascholing huisartsen)", EN: "25-OH vitamin D < " + FormatNumber(th.VitDDeficient) + " nmol/L (GP training course)"},
			{NL: "uitslag ≤ " + itoa(th.LabFreshDays) + " dagen oud", EN: "result ≤ " + itoa(th.LabFreshDays) + " days old"},
		},
		Citations:       []Citation{CiteNHG, CiteNIVLab},
		Suggestions:     sugs,
		OverrideReasons: StandardOverrideReasons,
	}}
}
