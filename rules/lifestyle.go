package rules

// Lifestyle risk factors in the fracture-prevention plan.
//
// Sources: SEED-GP "Hoe breng je de patiënt in kaart?" (risk factors:
// "Leefstijl, medicatie, valrisico") and Casus 1 (Mw. Pieterse: "rookt 1
// pakje per dag, alcohol 5 EH/dag", dairy intake); NHG-Standaard
// Fractuurpreventie M69 (leefstijladviezen: stoppen met roken, alcohol
// beperken, voldoende calcium via de voeding) and NIV 2022 (roken, alcohol
// ≥ 3 eenheden per dag as clinical risk factors, as in FRAX).
//
// Thresholds: ALCOHOL_UNITS_HIGH (≥ 3 units a day), CALCIUM_INTAKE_LOW_MG
// (< 1000 mg a day); any current smoking counts.
//
// Lifestyle is not a card of its own: the planner adds the advice to the
// card of the fracture-prevention situation in the response, because the
// seed makes it part of every treatment plan, not a separate alert.

// lifestyleRisk is one lifestyle factor that raises fracture risk, as
// recorded (the assessment: numbers, no text).
type lifestyleRisk struct {
	Record LifestyleRecord
}

// lifestyleRisks returns the newest record of each factor when it is a
// risk: smoking > 0 packs a day, alcohol ≥ ALCOHOL_UNITS_HIGH, dietary
// calcium < CALCIUM_INTAKE_LOW_MG. Order: smoking, alcohol, calcium.
func lifestyleRisks(c *Context) []lifestyleRisk {
	th := c.Thresholds
	var out []lifestyleRisk
	for _, factor := range []LifestyleFactor{LifestyleSmoking, LifestyleAlcohol, LifestyleCalciumIntake} {
		var newest LifestyleRecord
		found := false
		for _, r := range c.Facts.Lifestyle {
			if r.Factor == factor && !r.Date.After(c.Facts.AsOf) && (!found || r.Date.After(newest.Date)) {
				newest, found = r, true
			}
		}
		if !found {
			continue
		}
		risk := false
		switch factor {
		case LifestyleSmoking:
			risk = newest.Value > 0
		case LifestyleAlcohol:
			risk = newest.Value >= th.AlcoholUnitsHigh
		case LifestyleCalciumIntake:
			risk = newest.Value < th.CalciumIntakeLowMg
		}
		if risk {
			out = append(out, lifestyleRisk{Record: newest})
		}
	}
	return out
}

// lifestyleHosts are the cards of a fracture-prevention situation, in order
// of preference; the lifestyle advice goes on the first one present.
var lifestyleHosts = []string{
	topicFractureOnTreatmentRef, TopicFractureCaseFinding, TopicOsteoporosisTreatmentIndication,
	TopicDexaWHOClassification, TopicBisphosphonate5yReview, TopicDenosumab5yReview,
	TopicVitaminDDeficiency, TopicSecondaryOsteoporosisLabFlags,
}

// addLifestyle writes the lifestyle advice for the recorded risks onto the
// card of the situation (planner step).
func addLifestyle(c *Context, findings []Finding) []Finding {
	risks := lifestyleRisks(c)
	if len(risks) == 0 {
		return findings
	}
	host := firstOfTopics(findings, lifestyleHosts)
	if host < 0 {
		return findings
	}
	th := c.Thresholds
	var nl, en []string
	h := &findings[host]
	h.Evidence = append([]Evidence(nil), h.Evidence...)
	for _, r := range risks {
		v := r.Record.Value
		switch r.Record.Factor {
		case LifestyleSmoking:
			nl = append(nl, "roken ("+FormatNumberNL(v)+" pakje per dag): adviseer stoppen")
			en = append(en, "smoking ("+FormatNumber(v)+" pack a day): advise stopping")
			h.Evidence = append(h.Evidence, Evidence{Label: Text{NL: "Roken", EN: "Smoking"}, Value: FormatNumber(v), UnitText: Text{NL: "pakje/dag", EN: "packs/day"}, Date: r.Record.Date, Source: r.Record.Source})
		case LifestyleAlcohol:
			nl = append(nl, "alcohol "+FormatNumberNL(v)+" eenheden per dag (≥ "+FormatNumberNL(th.AlcoholUnitsHigh)+"): adviseer minderen")
			en = append(en, "alcohol "+FormatNumber(v)+" units a day (≥ "+FormatNumber(th.AlcoholUnitsHigh)+"): advise cutting down")
			h.Evidence = append(h.Evidence, Evidence{Label: Text{NL: "Alcohol", EN: "Alcohol"}, Value: FormatNumber(v), UnitText: Text{NL: "EH/dag", EN: "units/day"}, Date: r.Record.Date, Source: r.Record.Source})
		case LifestyleCalciumIntake:
			nl = append(nl, "calcium via de voeding ± "+FormatNumberNL(v)+" mg per dag (< "+FormatNumberNL(th.CalciumIntakeLowMg)+"): adviseer meer zuivel of een calciumsupplement")
			en = append(en, "dietary calcium about "+FormatNumber(v)+" mg a day (< "+FormatNumber(th.CalciumIntakeLowMg)+"): advise more dairy or a calcium supplement")
			h.Evidence = append(h.Evidence, Evidence{Label: Text{NL: "Calciuminname", EN: "Calcium intake"}, Value: FormatNumber(v), UnitText: Text{NL: "mg/dag", EN: "mg/day"}, Date: r.Record.Date, Source: r.Record.Source})
		}
	}
	h.Detail = appendParagraph(h.Detail, Text{
		NL: "Leefstijl (risicofactoren in het dossier): " + joinList(nl, "; ") + " (NHG).",
		EN: "Lifestyle (risk factors on record): " + joinList(en, "; ") + " (NHG).",
	})
	return findings
}

func joinList(xs []string, sep string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += sep
		}
		out += x
	}
	return out
}
