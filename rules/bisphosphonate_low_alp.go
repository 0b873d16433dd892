package rules

// R09 bisphosphonate-low-alp (rules.md §4 R09).
//
// Sources: SEED-GP lab table "Alkalische fosfatase … AF < 40 geen
// bisfosfonaten" and Casus 3 "Veiligheid continueren medicatie: bijvoorbeeld
// alkalische fosfatase"; Ng E et al. Osteoporos Int 2023;34:327 (a low ALP
// may signal hypophosphatasia; "antiresorptive therapy … is relatively
// contraindicated in HPP"; their cut-off was < 30 IU/L); NIV 2022
// laboratory module (ALP is interpreted only "indien geen recente
// fractuur", because ALP rises after a fracture).
//
// Thresholds: ALP_LOW (< 40 U/L, SEED-GP) OR below the laboratory's own
// lower reference limit when the result carries one (D6: union). The latest
// ALP of any age is used: a later normal result supersedes a low one.
// ALP_RECENT_FRACTURE_MONTHS (3): a fracture that recent is shown as
// evidence, because it raises ALP (NIV nuance).
//
// Indicator: draft bisphosphonate at order-select/order-sign → critical;
// draft denosumab or romosozumab → warning; active bisphosphonate at
// patient-view → warning.

// TopicBisphosphonateLowALP is the topic code of R09.
const TopicBisphosphonateLowALP = "bisphosphonate-low-alp"

// BisphosphonateLowALP is rule R09.
var BisphosphonateLowALP = Rule{
	Number: 9,
	Topic:  TopicBisphosphonateLowALP,
	Hooks:  []Hook{OrderSelect, OrderSign, PatientView},
	Eval:   evalBisphosphonateLowALP,
}

func init() { register(BisphosphonateLowALP) }

// CiteNg2023 is the low-ALP / hypophosphatasia study.
var CiteNg2023 = Citation{
	Label: "Ng E et al. A low serum alkaline phosphatase may signal hypophosphatasia in osteoporosis clinic patients. Osteoporos Int 2023;34(2):327-337",
	URL:   "https://doi.org/10.1007/s00198-022-06597-3",
}

// KeyRepeatALP is the suggestion to repeat the alkaline phosphatase.
const KeyRepeatALP = "repeat-alp"

func evalBisphosphonateLowALP(c *Context) []Finding {
	th := c.Thresholds
	orderHook := c.Facts.Hook != PatientView
	var bps, others []MedicationRecord
	bps = bpTargets(c)
	if orderHook {
		others = append(activeDrafts(c, DrugDenosumab), activeDrafts(c, DrugRomosozumab)...)
	}
	if len(bps) == 0 && len(others) == 0 {
		return nil
	}
	alp, ok := c.LatestLab(AnalyteALP, 0)
	if !ok {
		return nil
	}
	belowFixed := alp.Below(th.ALPLow)
	belowRef := alp.RefLow != nil && alp.Below(*alp.RefLow)
	if !belowFixed && !belowRef {
		return nil
	}

	ind := Warning
	if orderHook && len(bps) > 0 {
		ind = Critical
	}
	targets := append(append([]MedicationRecord(nil), bps...), others...)
	value := alp.Display()
	valueNL := alp.DisplayText().NL
	ev := []Evidence{{
		Label: Text{NL: "Alkalische fosfatase, " + alp.Code, EN: "Alkaline phosphatase, " + alp.Code},
		Value: value, Unit: "U/L", Date: alp.Date, Source: alp.Source,
	}}
	for _, m := range targets {
		label := Text{NL: "Actief middel", EN: "Active drug"}
		if orderHook {
			label = Text{NL: "Concept-voorschrift", EN: "Draft order"}
		}
		ev = append(ev, Evidence{Label: label, ValueText: displayName(m), Date: m.Start, Source: m.Source})
	}

	recentFrom := MonthsBefore(c.Facts.AsOf, th.ALPRecentFractureMonths)
	for _, f := range c.Fractures() {
		if f.Onset.After(recentFrom) && !f.Onset.After(c.Facts.AsOf) {
			ev = append(ev, Evidence{Label: Text{NL: "Recente fractuur (alkalische fosfatase kan hierdoor verhoogd zijn)", EN: "Recent fracture (may raise alkaline phosphatase)"},
				ValueText: conditionName(f), Date: f.Onset, Source: f.Source})
		}
	}

	var thresholds []Text
	if belowFixed {
		thresholds = append(thresholds, Text{
			NL: "alkalische fosfatase < " + FormatNumberNL(th.ALPLow) + " U/L (nascholing huisartsen \"AF < 40 geen bisfosfonaten\"; Ng 2023 gebruikte < 30)",
			EN: "alkaline phosphatase < " + FormatNumber(th.ALPLow) + " U/L (GP training course \"AF < 40 geen bisfosfonaten\"; Ng 2023 used < 30)",
		})
	}
	if belowRef {
		thresholds = append(thresholds, Text{
			NL: "onder de ondergrens van het laboratorium (" + FormatNumberNL(*alp.RefLow) + " U/L)",
			EN: "below the laboratory's lower reference limit (" + FormatNumber(*alp.RefLow) + " U/L)",
		})
	}

	drugNL, drugEN := "bisfosfonaat", "bisphosphonate"
	switch {
	case len(bps) == 0:
		names := drugNames(others)
		drugNL, drugEN = "antiresorptieve/osteoporosemedicatie ("+names.NL+")", "antiresorptive/osteoporosis drug ("+names.EN+")"
	case !orderHook:
		drugNL, drugEN = "het gebruikte bisfosfonaat", "the current bisphosphonate"
	}
	detail := Text{
		NL: "Een lage alkalische fosfatase (" + valueNL + " U/L) kan wijzen op hypofosfatasie; antiresorptieve therapie is dan relatief gecontra-indiceerd. " +
			"Sluit hypofosfatasie uit voordat u " + drugNL + " start of voortzet.\n\n" +
			"- Herhaal het alkalische fosfatase.\n" +
			"- Overweeg PLP (vitamine B6) in serum en/of fosfo-ethanolamine (PEA) in de urine, of verwijs naar de internist.\n" +
			"- Let op: alkalische fosfatase stijgt na een fractuur; de NIV-richtlijn beoordeelt het alleen als er geen recente fractuur is. " +
			"Een lage waarde kort na een fractuur is daarom extra opvallend, en een normale waarde kort na een fractuur sluit een laag uitgangsniveau niet uit.",
		EN: "A low alkaline phosphatase (" + value + " U/L) can signal hypophosphatasia, in which antiresorptive therapy is relatively contraindicated. " +
			"Exclude hypophosphatasia before starting or continuing " + drugEN + ".\n\n" +
			"- Repeat the alkaline phosphatase.\n" +
			"- Consider serum PLP (vitamin B6) and/or urinary phosphoethanolamine (PEA), or refer to internal medicine.\n" +
			"- Note: alkaline phosphatase rises after a fracture; the NIV guideline interprets it only when there is no recent fracture. " +
			"A low value shortly after a fracture is therefore all the more notable, and a normal value shortly after a fracture does not exclude a low baseline.",
	}

	sugg := []Suggestion{{
		Key:         KeyRepeatALP,
		Label:       Text{NL: "Alkalische fosfatase herhalen", EN: "Repeat alkaline phosphatase"},
		Recommended: true,
		Actions: []Action{{
			Type:        Create,
			Description: Text{NL: "Alkalische fosfatase herhalen", EN: "Repeat alkaline phosphatase"},
			Order: &Order{Kind: OrderLabPanel, Analytes: []Analyte{AnalyteALP}, Confirmation: true,
				Reason: Text{NL: "lage alkalische fosfatase: hypofosfatasie?", EN: "low alkaline phosphatase: hypophosphatasia?"}},
		}},
	}}
	if orderHook {
		for _, m := range bps {
			sugg = append(sugg, SuggestDeleteDraft(m, Text{
				NL: "Concept-voorschrift " + displayName(m).NL + " verwijderen",
				EN: "Remove the draft order for " + displayName(m).EN,
			}))
		}
	}
	return []Finding{{
		Topic:     TopicBisphosphonateLowALP,
		Indicator: ind,
		Summary: Text{
			NL: "Lage alkalische fosfatase (" + valueNL + " U/L): sluit hypofosfatasie uit vóór antiresorptieve therapie",
			EN: "Low alkaline phosphatase (" + value + " U/L): exclude hypophosphatasia before antiresorptive therapy",
		},
		Detail:          detail,
		Evidence:        ev,
		Thresholds:      thresholds,
		Citations:       []Citation{CiteNg2023, CiteNIVLab},
		Suggestions:     sugg,
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}
