package rules

import "time"

// R18 denosumab-dose-overdue (rules.md §4 R18).
//
// Sources: SEED-GP "Denosumab … Geen hechting aan het bot; Rebound effect
// na stoppen therapie", the Miller 2008 slide (60 mg Q6M, stop and resume)
// and "Risico op (multipele) wervelfracturen na stoppen met denosumab
// behandeling"; Prolia SmPC (60 mg every 6 months; a missed dose is given
// as soon as possible, then every 6 months from that injection); Lyu 2020
// (on time = within 4 weeks of the due date; delay > 16 weeks: vertebral
// fracture HR 3.91, 95% CI 1.62–9.45).
//
// Thresholds: DMAB_INTERVAL_DAYS (≥ 183 days → info, dose due),
// DMAB_LATE_WARNING_DAYS (> 211 days → warning), DMAB_LATE_CRITICAL_DAYS
// (> 295 days → critical), DMAB_OP_STRENGTH_MG (60 mg only; Xgeva 120 mg is
// excluded).
//
// Silent when an explicit stop is in force (R19 owns that situation, so one
// situation never gets two contradictory cards) and when a bisphosphonate
// was given, ordered or planned after the last injection (hand-over done;
// R19 checks its timing). The last injection is the latest dose as dated by
// denosumab.go, so "a later dose exists" is already accounted for. A date
// known only from MedicationRequest.authoredOn is flagged on the card.

// TopicDenosumabDoseOverdue is the topic code of R18.
const TopicDenosumabDoseOverdue = "denosumab-dose-overdue"

// DenosumabDoseOverdue is rule R18.
var DenosumabDoseOverdue = Rule{
	Number: 18,
	Topic:  TopicDenosumabDoseOverdue,
	Hooks:  []Hook{PatientView},
	Eval:   evalDenosumabDoseOverdue,
}

func init() { register(DenosumabDoseOverdue) }

func evalDenosumabDoseOverdue(c *Context) []Finding {
	th := c.Thresholds
	doses := denosumabDoses(c)
	last, ok := lastDmabDose(doses)
	if !ok {
		for _, m := range c.Records(DrugDenosumab, false) {
			if !c.IsOncologyDenosumab(m) && c.StatusActive(m) {
				// On denosumab, but no injection is dated: lateness cannot
				// be judged, and missing is never read as on time.
				c.Missing(Text{NL: "datum van de laatste denosumab-injectie", EN: "date of the last denosumab injection"})
				break
			}
		}
		return nil
	}
	if _, stopped := denosumabStop(c, doses); stopped {
		return nil
	}
	if _, handedOver := bisphosphonateAfter(c, last.Date); handedOver {
		return nil
	}
	since := DaysBetween(last.Date, c.Facts.AsOf)
	if since < th.DmabIntervalDays {
		return nil
	}
	lateDays := since - th.DmabIntervalDays
	weeksLate := lateDays / 7
	due := last.Date.AddDate(0, 0, th.DmabIntervalDays)
	interval := monthsOf(th.DmabIntervalDays)
	warnWeeks := itoa((th.DmabLateWarningDays - th.DmabIntervalDays) / 7)
	critWeeks := itoa((th.DmabLateCriticalDays - th.DmabIntervalDays) / 7)

	var f Finding
	switch {
	case since > th.DmabLateCriticalDays:
		f = Finding{
			Indicator: Critical,
			Summary: Text{
				NL: "Denosumab > " + critWeeks + " weken te laat: risico op wervelfracturen ~4×; geef nu of start alternatief",
				EN: "Denosumab > " + critWeeks + " weeks overdue: vertebral fracture risk ~4×; give now or start an alternative",
			},
			Detail: Text{
				NL: "De laatste denosumab-injectie was " + AgoText(since).NL + " geleden (" + itoa(weeksLate) + " weken na de geplande datum " + FormatDateIn(due, "nl") + "). " +
					"Bij een vertraging van meer dan " + critWeeks + " weken was het risico op een wervelfractuur bijna 4 keer zo hoog als bij tijdige toediening (Lyu 2020). " +
					"Geef denosumab nu; als denosumab niet wordt voortgezet, start dan direct een ander antiresorptief middel (zoledroninezuur iv) en stop niet zonder vervolg.",
				EN: "The last denosumab injection was " + AgoText(since).EN + " ago (" + itoa(weeksLate) + " weeks after the due date " + FormatDateIn(due, "en") + "). " +
					"A delay of more than " + critWeeks + " weeks carried an almost 4-fold vertebral fracture risk compared with on-time dosing (Lyu 2020). " +
					"Give denosumab now; if denosumab is not continued, start another antiresorptive (IV zoledronic acid) at once, and do not stop without follow-on treatment.",
			},
		}
	case since > th.DmabLateWarningDays:
		f = Finding{
			Indicator: Warning,
			Summary: Text{
				NL: "Denosumab te laat (> " + warnWeeks + " weken na geplande datum): geef nu; risico op rebound en wervelfracturen",
				EN: "Denosumab overdue (> " + warnWeeks + " weeks past due): give now; risk of rebound bone loss and vertebral fracture",
			},
			Detail: Text{
				NL: "De laatste denosumab-injectie was " + AgoText(since).NL + " geleden; de volgende was op " + FormatDateIn(due, "nl") + " nodig (elke " + interval + " maanden). " +
					"Denosumab hecht niet aan het bot: na uitblijven van een dosis neemt de botafbraak snel toe (rebound) en stijgt het risico op (multipele) wervelfracturen. " +
					"Geef de injectie zo snel mogelijk en plan de volgende " + interval + " maanden na deze injectie.",
				EN: "The last denosumab injection was " + AgoText(since).EN + " ago; the next was due on " + FormatDateIn(due, "en") + " (every " + interval + " months). " +
					"Denosumab does not bind to bone: when a dose is missed, bone resorption rebounds quickly and the risk of (multiple) vertebral fractures rises. " +
					"Give the injection as soon as possible and schedule the next one " + interval + " months after it.",
			},
		}
	default:
		f = Finding{
			Indicator: Info,
			Summary: Text{
				NL: "Denosumab-injectie is aan de beurt (elke " + interval + " maanden)",
				EN: "Denosumab dose due (every " + interval + " months)",
			},
			Detail: Text{
				NL: "De laatste denosumab-injectie was " + AgoText(since).NL + " geleden; de volgende was op " + FormatDateIn(due, "nl") + " nodig. " +
					"Geef deze binnen " + warnWeeks + " weken na de geplande datum: later geven verhoogt het risico op wervelfracturen.",
				EN: "The last denosumab injection was " + AgoText(since).EN + " ago; the next was due on " + FormatDateIn(due, "en") + ". " +
					"Give it within " + warnWeeks + " weeks of the due date: later dosing raises the risk of vertebral fractures.",
			},
		}
	}
	f.Topic = TopicDenosumabDoseOverdue
	if last.Weak {
		f.Detail = appendParagraph(f.Detail, weakDoseNote)
	}
	f.Evidence = []Evidence{
		lastDoseEvidence(last),
		{Label: Text{NL: "Sinds laatste injectie", EN: "Since the last injection"}, ValueText: DurationText(since)},
		{Label: Text{NL: "Bisfosfonaat na laatste injectie", EN: "Bisphosphonate after the last injection"}, ValueText: Text{NL: "geen", EN: "none"}},
	}
	f.Thresholds = []Text{
		{NL: "dosis nodig ≥ " + itoa(th.DmabIntervalDays) + " dagen na de vorige (Prolia SmPC: elke " + interval + " maanden)",
			EN: "dose due ≥ " + itoa(th.DmabIntervalDays) + " days after the previous one (Prolia SmPC: every " + interval + " months)"},
		{NL: "waarschuwing > " + itoa(th.DmabLateWarningDays) + " dagen (geplande datum + " + warnWeeks + " weken, Lyu 2020 \"op tijd\")",
			EN: "warning > " + itoa(th.DmabLateWarningDays) + " days (due date + " + warnWeeks + " weeks, Lyu 2020 \"on time\")"},
		{NL: "kritiek > " + itoa(th.DmabLateCriticalDays) + " dagen (geplande datum + " + critWeeks + " weken, Lyu 2020 \"lange vertraging\")",
			EN: "critical > " + itoa(th.DmabLateCriticalDays) + " days (due date + " + critWeeks + " weeks, Lyu 2020 \"long delay\")"},
	}
	f.Citations = []Citation{CiteProliaSmPC, CiteLyu2020, CiteECTS2021, CiteNHG}
	f.Suggestions = []Suggestion{suggestDenosumab(c, time.Time{}, Text{
		NL: "Denosumab " + FormatNumberNL(th.DmabOPStrengthMg) + " mg s.c. nu geven",
		EN: "Give denosumab " + FormatNumber(th.DmabOPStrengthMg) + " mg s.c. now",
	})}
	f.OverrideReasons = append(append([]OverrideReason(nil), StandardOverrideReasons...),
		OverrideReason{Code: "dose-given-elsewhere", Display: Text{NL: "Injectie elders gegeven (niet in dit dossier)", EN: "Injection given elsewhere (not in this record)"}})
	return []Finding{f}
}
