package rules

import (
	"time"
	"unicode/utf8"
)

// R23 dexa-change-lsc (rules.md §4 R23, §6 D10).
//
// Sources: SEED-GP slides "DEXA" ("Wanneer is het verschil in BMD tussen 2
// metingen significant? Wanneer het verschil groter is dan de meetfout?")
// and "Significant verschil DEXA" ("Verschil op de lumbale wervelkom moet
// meer dan 3% zijn", "Verschil op de heup moet meer dan 4% zijn", "Bouw van
// patiënt beïnvloedt score wervelkolom", "Let op bij lumbale
// wervelinzakking"); ISCD precision calculator glossary (LSC = 2.77 ×
// precision error; "must equal or exceed the LSC"); Osteoporosis Solutions
// (a practice using 3 % at both sites, D10).
//
// Thresholds: LSC_MODE (seed-fixed | iscd-local), LSC_SPINE_PCT (> 3 %),
// LSC_HIP_PCT (> 4 %), PRECISION_ERROR_SPINE / PRECISION_ERROR_HIP (g/cm²,
// iscd-local), DXA_IMPLAUSIBLE_PCT (> 10 %, owned by R24), DXA_RECENT_DAYS
// (90: only a recent DXA is announced). Pairing and classification live in
// dxa_change.go.
//
// Fires (info) at patient-view when the newest DXA (≤ DXA_RECENT_DAYS old)
// has a previous BMD (or a report percentage) at the same site. It is a
// warning when a reliable site shows a significant, plausible decrease while
// an antiresorptive (bisphosphonate, denosumab 60 mg, SERM) started on or
// before that DXA is still in use at T [DESIGN: prompts an R17-style
// re-evaluation; the lab panel is suggested]. A site that R24 flags
// (implausible or discordant) is described as "see the other card", never
// as a significant change, and never drives the warning.

// TopicDexaChangeLSC is the topic code of R23.
const TopicDexaChangeLSC = "dexa-change-lsc"

// DexaChangeLSC is rule R23.
var DexaChangeLSC = Rule{
	Number: 23,
	Topic:  TopicDexaChangeLSC,
	Hooks:  []Hook{PatientView},
	Eval:   evalDexaChangeLSC,
}

func init() { register(DexaChangeLSC) }

func evalDexaChangeLSC(c *Context) []Finding {
	th := c.Thresholds
	a := analyseDXAChanges(c)
	if len(a.Changes) == 0 {
		return nil
	}

	var ev []Evidence
	var lines, shorts, losses []Text
	var earliest time.Time
	for _, ch := range a.Changes {
		ev = append(ev, changeEvidence(ch)...)
		lines = append(lines, lscLine(th, ch))
		shorts = append(shorts, lscShort(ch))
		if ch.usable() && !ch.flagged() && ch.Pct < 0 {
			losses = append(losses, lscShort(ch))
			if earliest.IsZero() || ch.Date.Before(earliest) {
				earliest = ch.Date
			}
		}
	}
	unreliable := false
	for _, ch := range a.Changes {
		unreliable = unreliable || ch.Unreliable
	}
	if unreliable {
		ev = append(ev, fractureEvidence(a.VertebralFractures)...)
	}

	ind := Info
	var drug MedicationRecord
	if len(losses) > 0 {
		if m, ok := antiresorptiveOnTreatment(c, earliest); ok {
			ind, drug = Warning, m
			ev = append(ev, Evidence{
				Label:     Text{NL: "Botafbraakremmer in gebruik", EN: "Antiresorptive in use"},
				ValueText: displayName(m), Date: m.Start, Source: m.Source,
			})
		}
	}

	list := dxaJoinTexts(lines, "\n")
	var seeAlso []SeeAlso
	detail := Text{
		NL: "Verandering van de botdichtheid (BMD) ten opzichte van de vorige DXA:\n\n" + list.NL,
		EN: "Change in bone mineral density (BMD) since the previous DXA:\n\n" + list.EN,
	}
	if unreliable {
		detail = appendParagraph(detail, Text{
			NL: "Let op: er is een wervelfractuur (inzakking) vastgelegd. Een inzakking binnen L1–L4 verhoogt de gemeten BMD van de wervelkolom, zodat de verandering daar onbetrouwbaar is; " +
				"beoordeel de heup, of vraag de DXA-afdeling naar de afzonderlijke wervels zonder fractuur. Het niveau van de fractuur staat niet in de gecodeerde gegevens: ligt zij buiten L1–L4, dan vervalt deze kanttekening.",
			EN: "Note: a vertebral fracture (collapse) is on record. A collapse within L1–L4 raises the measured spine BMD, so the spine change is unreliable; " +
				"judge the hip, or ask the DXA department for the individual vertebrae without a fracture. The fracture level is not in the coded data: if it lies outside L1–L4, this caveat does not apply.",
		})
	}
	if a.anyFlagged() {
		detail = appendParagraph(detail, Text{
			NL: "Baseer geen beleid op een onwaarschijnlijk groot of tegenstrijdig verschil voordat de uitslag met de DXA-afdeling is besproken.",
			EN: "Do not base decisions on an implausibly large or discordant change before the result has been discussed with the DXA department.",
		})
		seeAlso = append(seeAlso, SeeAlso{Topic: TopicDexaChangeImplausible, What: Text{NL: "het onwaarschijnlijke verschil", EN: "the implausible change"}})
	}
	var sugg []Suggestion
	summary := Text{
		NL: "BMD-verandering t.o.v. vorige DXA: " + dxaJoinTexts(shorts, "; ").NL,
		EN: "BMD change since previous DXA: " + dxaJoinTexts(shorts, "; ").EN,
	}
	if ind == Warning {
		l := dxaJoinTexts(losses, "; ")
		summary = Text{
			NL: "Significante BMD-afname ondanks " + displayName(drug).NL + ": " + l.NL + "; herevalueer",
			EN: "Significant BMD loss on " + displayName(drug).EN + ": " + l.EN + "; re-evaluate",
		}
		detail = appendParagraph(detail, Text{
			NL: "Een significante afname van de BMD tijdens botafbraakremmende behandeling vraagt om een herevaluatie, zoals bij een fractuur onder behandeling:\n\n" +
				"- therapietrouw en inname-instructie (nuchter, rechtop blijven) nagaan;\n" +
				"- secundaire oorzaken uitsluiten (laboratoriumonderzoek, o.a. calcium, nierfunctie, TSH, vitamine D);\n" +
				"- controleren of beide metingen op hetzelfde apparaat zijn gedaan;\n" +
				"- overweeg overleg met of verwijzing naar de tweede lijn voor een switch van medicatie.",
			EN: "A significant BMD loss during antiresorptive treatment calls for a re-evaluation, as for a fracture on treatment:\n\n" +
				"- check adherence and intake technique (fasting, staying upright);\n" +
				"- exclude secondary causes (laboratory tests, e.g. calcium, renal function, TSH, vitamin D);\n" +
				"- check that both scans were done on the same device;\n" +
				"- consider consulting or referring to secondary care for a change of medication.",
		})
		sugg = append(sugg, SuggestLabPanel(CoreLabPanel, Text{NL: "significante BMD-afname onder behandeling", EN: "significant BMD loss on treatment"}))
	}
	if utf8.RuneCountInString(summary.NL) >= 140 || utf8.RuneCountInString(summary.EN) >= 140 {
		if ind == Warning {
			summary = Text{
				NL: "Significante BMD-afname ondanks botafbraakremmer: herevalueer (zie details)",
				EN: "Significant BMD loss on antiresorptive treatment: re-evaluate (see details)",
			}
		} else {
			summary = Text{
				NL: "BMD-verandering t.o.v. vorige DXA op " + itoa(len(a.Changes)) + " meetplaatsen (zie details)",
				EN: "BMD change since previous DXA at " + itoa(len(a.Changes)) + " sites (see details)",
			}
		}
	}
	citations := []Citation{CiteSeedGPDXAChange, CiteISCDPrecision, CiteOsteoporosisSolutionsLSC}
	if th.LSCMode == "iscd-local" {
		citations = []Citation{CiteISCDPrecision, CiteSeedGPDXAChange, CiteOsteoporosisSolutionsLSC}
	}
	if ind == Warning {
		citations = append(citations, CiteNIVLongTerm)
	}
	return []Finding{{
		Topic:           TopicDexaChangeLSC,
		Indicator:       ind,
		Summary:         summary,
		Detail:          detail,
		SeeAlso:         seeAlso,
		Evidence:        ev,
		Thresholds:      lscThresholds(th, a.Changes),
		Citations:       citations,
		Suggestions:     sugg,
		OverrideReasons: StandardOverrideReasons,
	}}
}

// lscLine is the detail line of one site.
func lscLine(th Thresholds, ch bmdChange) Text {
	name := dxaSiteName(ch.Site, ch.Laterality)
	head := Text{NL: "- " + name.NL + ": " + formatPctNL(ch.Pct) + " %", EN: "- " + name.EN + ": " + formatPct(ch.Pct) + " %"}
	if ch.HasDelta {
		head.NL += " (ΔBMD " + NumberNL(signedBMD(ch.Delta)) + " g/cm²)"
		head.EN += " (ΔBMD " + signedBMD(ch.Delta) + " g/cm²)"
	}
	if !ch.HasPrevious {
		head.NL += ", volgens het DXA-verslag"
		head.EN += ", as stated in the DXA report"
	}
	var status Text
	switch {
	case ch.Implausible:
		status = Text{NL: "onwaarschijnlijk groot verschil", EN: "implausible"}
	case ch.Discordant:
		status = Text{NL: "tegenstrijdig met de andere meetplaats", EN: "discordant with the other site"}
	default:
		lim := lscLimitText(th, ch)
		switch {
		case ch.Significant && ch.Pct > 0:
			status = Text{NL: "significante toename (" + lim.NL + ")", EN: "significant increase (" + lim.EN + ")"}
		case ch.Significant:
			status = Text{NL: "significante afname (" + lim.NL + ")", EN: "significant decrease (" + lim.EN + ")"}
		default:
			status = Text{NL: "niet significant (" + lim.NL + ")", EN: "not significant (" + lim.EN + ")"}
		}
		if ch.Unreliable {
			status.NL += "; onbetrouwbaar door een wervelfractuur (als die binnen L1–L4 ligt)"
			status.EN += "; unreliable because of a vertebral fracture (if within L1–L4)"
		}
	}
	return Text{NL: head.NL + " — " + status.NL, EN: head.EN + " — " + status.EN}
}

// lscLimitText names the limit the site was compared with.
func lscLimitText(th Thresholds, ch bmdChange) Text {
	if th.LSCMode == "iscd-local" && !ch.LSCFallback {
		l := formatLSC(iscdLSC(th, ch.Site))
		lNL := formatLSCNL(iscdLSC(th, ch.Site))
		return Text{NL: "LSC " + lNL + " g/cm²", EN: "LSC " + l + " g/cm²"}
	}
	lim := th.LSCHipPct
	if ch.Site == SiteLumbarSpine {
		lim = th.LSCSpinePct
	}
	return Text{NL: "drempel > " + FormatNumberNL(lim) + " %", EN: "threshold > " + FormatNumber(lim) + " %"}
}

// lscShort is the summary fragment of one site.
func lscShort(ch bmdChange) Text {
	name := dxaSiteShort(ch.Site, ch.Laterality)
	var s Text
	switch {
	case ch.Implausible:
		s = Text{NL: "onwaarschijnlijk", EN: "implausible"}
	case ch.Discordant:
		s = Text{NL: "tegenstrijdig", EN: "discordant"}
	case ch.Unreliable && ch.Significant:
		s = Text{NL: "significant, onbetrouwbaar", EN: "significant, unreliable"}
	case ch.Unreliable:
		s = Text{NL: "n.s., onbetrouwbaar", EN: "n.s., unreliable"}
	case ch.Significant:
		s = Text{NL: "significant", EN: "significant"}
	default:
		s = Text{NL: "n.s.", EN: "n.s."}
	}
	p := formatPct(ch.Pct) + " %"
	pNL := formatPctNL(ch.Pct) + " %"
	return Text{NL: name.NL + " " + pNL + " (" + s.NL + ")", EN: name.EN + " " + p + " (" + s.EN + ")"}
}

// signedBMD renders a ΔBMD with sign and three decimals.
func signedBMD(v float64) string {
	if v >= 0 {
		return "+" + formatBMD(v)
	}
	return formatBMD(v)
}

// antiresorptiveOnTreatment returns an antiresorptive that was started on
// or before since and is still in use at T: a bisphosphonate (oral episode
// open or ending at or after T, or a zoledronic acid 5 mg infusion within
// the last year), denosumab 60 mg (last injection ≤ DMAB_LATE_CRITICAL_DAYS
// ago) or a SERM.
func antiresorptiveOnTreatment(c *Context, since time.Time) (MedicationRecord, bool) {
	asOf := c.Facts.AsOf
	if e := c.bisphosphonateExposure(); e.Any() && !e.Start().After(since) && !e.End(asOf).Before(asOf) {
		if n := len(e.OralEpisodes); n > 0 {
			last := e.OralEpisodes[n-1]
			if last.Open || !last.End.Before(asOf) {
				return last.Records[len(last.Records)-1], true
			}
		}
		if n := len(e.Infusions); n > 0 {
			return e.Infusions[n-1], true
		}
	}
	if doses := denosumabDoses(c); len(doses) > 0 {
		last := doses[len(doses)-1]
		if !doses[0].Date.After(since) && DaysBetween(last.Date, asOf) <= c.Thresholds.DmabLateCriticalDays {
			if _, stopped := denosumabStop(c, doses); !stopped {
				return last.Record, true
			}
		}
	}
	for _, m := range activeRecords(c, DrugSERM) {
		if !m.Start.After(since) {
			return m, true
		}
	}
	return MedicationRecord{}, false
}
