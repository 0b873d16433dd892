package rules

import "unicode/utf8"

// R24 dexa-change-implausible (rules.md §4 R24).
//
// Sources: SEED-GP slide "Significant verschil DEXA": "Tip: bij
// onverklaarbaar groot verschil of significante verslechtering van de heup
// terwijl wervelkolom verbeterd: overleg over uitslag DEXA en kijk naar
// positie heup en afzonderlijke waardes op de wervelkolom — Positie van de
// heup bepaald door laborant"; slide "Voorbeeld ander DEXA verslag" (collum
// +15.4 %, S7); ISCD precision calculator glossary (LSC).
//
// Thresholds: DXA_IMPLAUSIBLE_PCT (|Δ%| > 10 % per interval at one site,
// [DESIGN]: the seed only says "onverklaarbaar groot verschil"),
// significance as in R23 (LSC_MODE, LSC_SPINE_PCT, LSC_HIP_PCT, precision
// errors), DXA_RECENT_DAYS (90, as R23).
//
// Fires (warning) at patient-view when the newest DXA (≤ DXA_RECENT_DAYS
// old) shows |Δ%| > DXA_IMPLAUSIBLE_PCT at any site, or a discordance: a hip
// site (total hip or femoral neck) significantly worse while the spine is
// significantly better, or the reverse. A spine change marked unreliable by
// a vertebral fracture does not count for discordance (the fracture
// explains it; R23 says so). Analysis shared with R23 in dxa_change.go.
//
// Suggestion [DESIGN]: none; the advice to discuss the result with the DXA
// department is text only. The only referral order package fhir can build
// is a SNOMED "Patient referral" ServiceRequest, and this is a
// clinician-to-clinician question about an existing result, not a referral
// of the patient.

// TopicDexaChangeImplausible is the topic code of R24.
const TopicDexaChangeImplausible = "dexa-change-implausible"

// DexaChangeImplausible is rule R24.
var DexaChangeImplausible = Rule{
	Number: 24,
	Topic:  TopicDexaChangeImplausible,
	Hooks:  []Hook{PatientView},
	Eval:   evalDexaChangeImplausible,
}

func init() { register(DexaChangeImplausible) }

func evalDexaChangeImplausible(c *Context) []Finding {
	th := c.Thresholds
	a := analyseDXAChanges(c)
	if !a.anyFlagged() {
		return nil
	}
	var ev []Evidence
	var lines, shorts []Text
	implausible, discordant := false, false
	for _, ch := range a.Changes {
		if !ch.flagged() {
			continue
		}
		ev = append(ev, changeEvidence(ch)...)
		name := dxaSiteName(ch.Site, ch.Laterality)
		short := dxaSiteShort(ch.Site, ch.Laterality)
		p := formatPct(ch.Pct) + " %"
		pNL := formatPctNL(ch.Pct) + " %"
		shorts = append(shorts, Text{NL: short.NL + " " + pNL, EN: short.EN + " " + p})
		switch {
		case ch.Implausible:
			implausible = true
			lines = append(lines, Text{
				NL: "- " + name.NL + ": " + pNL + " — groter dan " + FormatNumberNL(th.DXAImplausiblePct) + " % in één interval; biologisch onwaarschijnlijk",
				EN: "- " + name.EN + ": " + p + " — more than " + FormatNumber(th.DXAImplausiblePct) + " % in one interval; biologically implausible",
			})
		default:
			discordant = true
			dir := Text{NL: "significante toename", EN: "significant increase"}
			if ch.Pct < 0 {
				dir = Text{NL: "significante afname", EN: "significant decrease"}
			}
			lines = append(lines, Text{
				NL: "- " + name.NL + ": " + pNL + " — " + dir.NL + ", tegengesteld aan de andere meetplaats",
				EN: "- " + name.EN + ": " + p + " — " + dir.EN + ", opposite to the other site",
			})
		}
	}
	list := dxaJoinTexts(lines, "\n")
	kind := Text{NL: "Onverklaarbaar groot", EN: "Unexplained large"}
	switch {
	case implausible && discordant:
		kind = Text{NL: "Onverklaarbaar groot en tegenstrijdig", EN: "Unexplained large and discordant"}
	case discordant:
		kind = Text{NL: "Tegenstrijdig", EN: "Discordant"}
	}
	sites := dxaJoinTexts(shorts, ", ")
	summary := Text{
		NL: kind.NL + " BMD-verschil (" + sites.NL + "): overleg met de DXA-afdeling",
		EN: kind.EN + " BMD change (" + sites.EN + "): discuss with the DXA department",
	}
	if utf8.RuneCountInString(summary.NL) >= 140 || utf8.RuneCountInString(summary.EN) >= 140 {
		summary = Text{
			NL: kind.NL + " BMD-verschil: overleg met de DXA-afdeling",
			EN: kind.EN + " BMD change: discuss with the DXA department",
		}
	}
	detail := Text{
		NL: "De verandering in botdichtheid ten opzichte van de vorige DXA is niet goed te verklaren:\n\n" + list.NL + "\n\n" +
			"Advies (nascholing huisartsen):\n\n" +
			"- overleg over de uitslag met de DXA-afdeling voordat u het beleid erop baseert;\n" +
			"- laat de positie van de heup bij beide metingen controleren (die bepaalt de laborant);\n" +
			"- vraag naar de afzonderlijke waarden van de wervels (artefacten, inzakkingen, degeneratie);\n" +
			"- ga na of beide metingen op hetzelfde apparaat zijn gedaan.",
		EN: "The change in bone density since the previous DXA is hard to explain:\n\n" + list.EN + "\n\n" +
			"Advice (GP training deck):\n\n" +
			"- discuss the result with the DXA department before basing decisions on it;\n" +
			"- have the hip positioning of both scans checked (the technician positions the hip);\n" +
			"- ask for the values of the individual vertebrae (artefacts, collapses, degeneration);\n" +
			"- check that both scans were done on the same device.",
	}
	thresholds := []Text{{
		NL: "onwaarschijnlijk bij |Δ| > " + FormatNumberNL(th.DXAImplausiblePct) + " % per interval op één meetplaats (de nascholing noemt alleen 'onverklaarbaar groot verschil')",
		EN: "implausible when |Δ| > " + FormatNumber(th.DXAImplausiblePct) + " % per interval at one site (the GP deck only says 'unexplained large difference')",
	}, {
		NL: "tegenstrijdig: heup significant slechter terwijl de wervelkolom significant beter is, of omgekeerd (wervelkolom met wervelfractuur telt niet mee)",
		EN: "discordant: hip significantly worse while the spine is significantly better, or the reverse (a spine with a vertebral fracture does not count)",
	}}
	thresholds = append(thresholds, lscThresholds(th, a.Changes)...)
	return []Finding{{
		Topic:           TopicDexaChangeImplausible,
		Indicator:       Warning,
		Summary:         summary,
		Detail:          detail,
		Evidence:        ev,
		Thresholds:      thresholds,
		Citations:       []Citation{CiteSeedGPDXAChange, CiteISCDPrecision},
		OverrideReasons: StandardOverrideReasons,
	}}
}
