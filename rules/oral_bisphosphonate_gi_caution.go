package rules

import "time"

// R25 oral-bisphosphonate-gi-caution (rules.md §4 R25).
//
// Sources: risedronate agreed core safety profile: caution "in patients who
// have a history of oesophageal disorders which delay oesophageal transit
// or emptying e.g. stricture or achalasia, or who are unable to stay in the
// upright position for at least 30 minutes"; SEED-GP "Maagklachten" under
// the treatment plan, and Casus 4 ("hiatushernia", "gebruik
// maagzuurremmer"; S6); Aclasta (zoledronic acid 5 mg once yearly) as the
// intravenous alternative.
//
// Thresholds: none numeric. Triggers: an active Condition with
// ConceptOesophagealDisorder (stricture, achalasia, Barrett), or an active
// ConceptHiatalHernia (hiatal hernia / reflux disease) together with an
// active proton-pump inhibitor ([DESIGN], UNVERIFIED as a trigger: the PPI
// stands for symptomatic reflux). "Cannot stay upright for 30 minutes" has
// no fact and is mentioned in the text only.
//
// Fires (warning) at order-select and order-sign for each draft oral
// bisphosphonate order (at order-select the selected ones). Suggestions,
// at most one: order zoledronic acid 5 mg IV instead, or delete the draft.

// TopicOralBisphosphonateGICaution is the topic code of R25.
const TopicOralBisphosphonateGICaution = "oral-bisphosphonate-gi-caution"

// OralBisphosphonateGICaution is rule R25.
var OralBisphosphonateGICaution = Rule{
	Number: 25,
	Topic:  TopicOralBisphosphonateGICaution,
	Hooks:  []Hook{OrderSelect, OrderSign},
	Eval:   evalOralBisphosphonateGICaution,
}

func init() { register(OralBisphosphonateGICaution) }

// CiteRisedronateOesophageal is the oesophageal caution of the risedronate
// core safety profile.
var CiteRisedronateOesophageal = Citation{
	Label: "Risedronate core safety profile 4.4: caution with oesophageal disorders that delay transit (stricture, achalasia) or inability to stay upright for 30 minutes",
	URL:   "https://studylib.net/doc/7501446/summary-of-the-product-characteristics",
}

// CiteSeedGPCasus4 is the SEED-GP case with hiatal hernia and a PPI.
var CiteSeedGPCasus4 = Citation{
	Label: "Nascholing huisartsen 'Fractuurpreventie verdieping', Casus 4 (hiatushernia, gebruik maagzuurremmer) en behandelplan 'Maagklachten'",
}

// oesophagealRisk returns the active oesophageal disorders, the active
// hiatal hernia/reflux conditions and the active proton-pump inhibitors,
// and whether they make an oral bisphosphonate unsuitable: an oesophageal
// disorder, or a hiatal hernia together with a PPI (R25 trigger; the
// bisphosphonate safety check uses the same test).
func oesophagealRisk(c *Context) (oesophageal, hernia []Condition, ppis []MedicationRecord, ok bool) {
	for _, cond := range c.Facts.Conditions {
		if !cond.Active {
			continue
		}
		if cond.Has(ConceptOesophagealDisorder) {
			oesophageal = append(oesophageal, cond)
		} else if cond.Has(ConceptHiatalHernia) {
			hernia = append(hernia, cond)
		}
	}
	ppis = activeRecords(c, DrugPPI)
	return oesophageal, hernia, ppis, len(oesophageal) > 0 || (len(hernia) > 0 && len(ppis) > 0)
}

// KeyOrderZoledronicAcid is the suggestion to switch to IV zoledronic acid.
const KeyOrderZoledronicAcid = "order-zoledronic-acid-5mg"

func evalOralBisphosphonateGICaution(c *Context) []Finding {
	drafts := activeDrafts(c, DrugBisphosphonateOral)
	if len(drafts) == 0 {
		return nil
	}
	oesophageal, hernia, ppis, ok := oesophagealRisk(c)
	if !ok {
		return nil
	}

	var ev []Evidence
	for _, cond := range oesophageal {
		ev = append(ev, Evidence{Label: Text{NL: "Slokdarmaandoening", EN: "Oesophageal disorder"}, ValueText: conditionName(cond), Date: cond.Onset, Source: cond.Source})
	}
	if len(ppis) > 0 && len(hernia) > 0 {
		for _, cond := range hernia {
			ev = append(ev, Evidence{Label: Text{NL: "Hiatushernia / refluxziekte", EN: "Hiatal hernia / reflux disease"}, ValueText: conditionName(cond), Date: cond.Onset, Source: cond.Source})
		}
		for _, m := range ppis {
			ev = append(ev, Evidence{Label: Text{NL: "Protonpompremmer in gebruik", EN: "Proton-pump inhibitor in use"}, ValueText: displayName(m), Date: m.Start, Source: m.Source})
		}
	}
	for _, m := range drafts {
		ev = append(ev, Evidence{Label: Text{NL: "Concept-voorschrift oraal bisfosfonaat", EN: "Draft oral bisphosphonate order"}, ValueText: displayName(m), Source: m.Source})
	}

	reason := Text{NL: "slokdarmaandoening", EN: "oesophageal disorder"}
	if len(oesophageal) == 0 {
		reason = Text{NL: "hiatushernia met maagzuurremmer", EN: "hiatal hernia on a PPI"}
	}
	names := shortDrugNames(drafts, Text{NL: "oraal bisfosfonaat", EN: "oral bisphosphonate"})
	summary := Text{
		NL: "Voorzichtig met " + names.NL + " bij " + reason.NL + ": overweeg zoledroninezuur iv",
		EN: "Caution with " + names.EN + " in " + reason.EN + ": consider IV zoledronic acid",
	}
	detail := Text{
		NL: "Orale bisfosfonaten kunnen de slokdarm beschadigen (oesofagitis, ulcera). Voorzichtigheid is geboden bij slokdarmaandoeningen die de passage vertragen (stricturen, achalasie) en bij patiënten die niet 30 minuten rechtop kunnen blijven.\n\n" +
			"- Overweeg zoledroninezuur 5 mg iv eenmaal per jaar (controleer eerst nierfunctie, calcium en vitamine D).\n" +
			"- Kiest u toch voor een oraal middel: nuchter innemen met een vol glas water, daarna minstens 30 minuten rechtop blijven en niet eten; stop bij slikklachten, pijn achter het borstbeen of nieuwe/verergerde zuurbrand.",
		EN: "Oral bisphosphonates can injure the oesophagus (oesophagitis, ulcers). Caution is needed with oesophageal disorders that delay transit (strictures, achalasia) and in patients who cannot stay upright for 30 minutes.\n\n" +
			"- Consider zoledronic acid 5 mg IV once yearly (check renal function, calcium and vitamin D first).\n" +
			"- If an oral drug is still chosen: take it fasting with a full glass of water, then stay upright and do not eat for at least 30 minutes; stop on dysphagia, retrosternal pain or new/worse heartburn.",
	}
	// A hiatal hernia on a proton-pump inhibitor counts here as a sign of
	// reflux disease; the product information does not name it as such
	// (a note for reviewers, kept out of the card text).

	// Switching replaces the oral draft: the zoledronic acid suggestion also
	// deletes it, so that accepting it leaves one bisphosphonate order.
	zol := SuggestMedication(KeyOrderZoledronicAcid, DrugOrderZoledronicAcid5mg, time.Time{},
		Text{NL: "Zoledroninezuur 5 mg iv (eenmaal per jaar) in plaats van het orale middel", EN: "Zoledronic acid 5 mg IV (once yearly) instead of the oral drug"},
		Text{NL: "oraal bisfosfonaat ongeschikt: " + reason.NL, EN: "oral bisphosphonate unsuitable: " + reason.EN})
	sugg := []Suggestion{zol}
	for _, m := range drafts {
		del := SuggestDeleteDraft(m, Text{
			NL: "Concept-voorschrift " + displayName(m).NL + " verwijderen",
			EN: "Remove the draft order for " + displayName(m).EN,
		})
		sugg[0].Actions = append(sugg[0].Actions, del.Actions...)
		sugg = append(sugg, del)
	}
	f := Finding{
		Topic:     TopicOralBisphosphonateGICaution,
		Indicator: Warning,
		Summary:   summary,
		Detail:    detail,
		Evidence:  ev,
		Thresholds: []Text{{
			NL: "actieve slokdarmaandoening (strictuur, achalasie, Barrett), of hiatushernia/refluxziekte met een actieve protonpompremmer",
			EN: "active oesophageal disorder (stricture, achalasia, Barrett), or hiatal hernia/reflux disease with an active proton-pump inhibitor",
		}},
		Citations:       []Citation{CiteRisedronateOesophageal, CiteSeedGPCasus4, CiteAclastaSmPC},
		Suggestions:     sugg,
		OverrideReasons: StandardOverrideReasons,
	}
	// Contraindications and missing safety labs before the zoledronic acid
	// alternative (bisphosphonate_safety.go).
	applyBPSafety(c, &f, false)
	return []Finding{f}
}
