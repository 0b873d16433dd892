package rules

import "time"

// R27 treatment-monitoring-schedule (rules.md §4 R27, §6 D16; optional,
// low priority).
//
// Sources: SEED-GP table "Controlebeleid 1e lijn": start (HA/POH); 1 mnd
// "Therapietrouw, inname instructie, bijwerkingen, lichaamslengte,
// leefstijl" (POH); 3 mnd "Optioneel telefonisch, indien geen leefstijl";
// 1, 2, 3, 4 jaar "Controle POH"; 5 jaar "Controle na DEXA, evt stoppen
// medicatie" (HA); 8 jaar "Controle HA / POH". NIV 2022 long-term module:
// "evaluatie na 3 maanden en daarna jaarlijks" (D16: the card states both).
//
// Thresholds: MONITORING_WINDOW_DAYS (± 30 days around each due date,
// [DESIGN], so the reminder is not permanent noise). Facts carry no record
// of a completed check, so the window is the only limit.
//
// Fires (info, no suggestions) at patient-view when today is within the
// window around the 1-month check or the yearly checks in years 1–4 of the
// current course of an osteoporosis drug. No card at 5 and 8 years:
// bisphosphonate-5y-review (R14) and bisphosphonate-holiday-reevaluation
// (R16) own those. The course is the current merged episode (gap ≤
// EPISODE_MERGE_GAP_DAYS) of an oral bisphosphonate, SERM, teriparatide or
// romosozumab that is still in use at T, or the current run of denosumab
// 60 mg injections (each ≤ DMAB_LATE_CRITICAL_DAYS after the previous, the
// last ≤ DMAB_LATE_CRITICAL_DAYS ago, no explicit stop). When several
// courses run, the most recently started one sets the schedule (a new drug
// needs its own 1-month check). Zoledronic acid is not covered [DESIGN]:
// the yearly infusion visit is itself the yearly check.

// TopicTreatmentMonitoringSchedule is the topic code of R27.
const TopicTreatmentMonitoringSchedule = "treatment-monitoring-schedule"

// TreatmentMonitoringSchedule is rule R27.
var TreatmentMonitoringSchedule = Rule{
	Number: 27,
	Topic:  TopicTreatmentMonitoringSchedule,
	Hooks:  []Hook{PatientView},
	Eval:   evalTreatmentMonitoringSchedule,
}

func init() { register(TreatmentMonitoringSchedule) }

// CiteSeedGPControlebeleid is the SEED-GP follow-up table (no public URL).
var CiteSeedGPControlebeleid = Citation{
	Label: "Nascholing huisartsen 'Fractuurpreventie verdieping', tabel 'Controlebeleid 1e lijn' (1 mnd, 3 mnd optioneel, jaarlijks, 5 en 8 jaar)",
}

// monitoringCourse is the current treatment course.
type monitoringCourse struct {
	Start  time.Time
	Record MedicationRecord
}

// monitoringVisit is one check of the schedule.
type monitoringVisit struct {
	Due time.Time
	// Year is 0 for the 1-month check, else the treatment year (1–4).
	Year int
}

func evalTreatmentMonitoringSchedule(c *Context) []Finding {
	course, ok := currentTreatmentCourse(c)
	if !ok {
		return nil
	}
	visit, ok := dueMonitoringVisit(c, course.Start)
	if !ok {
		return nil
	}
	th := c.Thresholds
	drug := displayName(course.Record)
	due := Text{NL: FormatDateIn(visit.Due, "nl"), EN: FormatDateIn(visit.Due, "en")}
	var summary, detail Text
	if visit.Year == 0 {
		summary = Text{
			NL: "Controle 1 maand na start " + drug.NL + " (rond " + due.NL + "): therapietrouw, inname, bijwerkingen",
			EN: "Check 1 month after starting " + drug.EN + " (due " + due.EN + "): adherence, intake, side effects",
		}
		detail = Text{
			NL: "Controle na 1 maand (praktijkondersteuner): therapietrouw, inname-instructie, bijwerkingen, lichaamslengte en leefstijl (bewegen, valpreventie, roken, alcohol, calcium en vitamine D).\n\n" +
				"Daarna: na 3 maanden eventueel telefonisch contact als de leefstijl nog niet besproken is, en jaarlijks een controle.",
			EN: "Check after 1 month (practice nurse): adherence, intake instructions, side effects, body height and lifestyle (exercise, fall prevention, smoking, alcohol, calcium and vitamin D).\n\n" +
				"Then: an optional phone call at 3 months if lifestyle has not been discussed, and a yearly check.",
		}
	} else {
		y := itoa(visit.Year)
		summary = Text{
			NL: "Jaarcontrole " + y + " van de behandeling met " + drug.NL + " (rond " + due.NL + "): therapietrouw, bijwerkingen, lengte",
			EN: "Year-" + y + " check of treatment with " + drug.EN + " (due " + due.EN + "): adherence, side effects, height",
		}
		detail = Text{
			NL: "Jaarlijkse controle (praktijkondersteuner), behandeljaar " + y + ": therapietrouw en inname, bijwerkingen, lichaamslengte (lengteverlies kan op een wervelfractuur wijzen), nieuwe fracturen of vallen, en leefstijl.\n\n" +
				"Na 5 jaar volgt een controle met DXA en een besluit over voortzetting (huisarts); daarvoor verschijnt een aparte kaart.",
			EN: "Yearly check (practice nurse), treatment year " + y + ": adherence and intake, side effects, body height (height loss can signal a vertebral fracture), new fractures or falls, and lifestyle.\n\n" +
				"At 5 years a check with DXA and a decision on continuing follows (GP); a separate card covers it.",
		}
	}
	detail = appendParagraph(detail, Text{
		NL: "De NIV-richtlijn (2022) adviseert als alternatief een evaluatie na 3 maanden en daarna jaarlijks.",
		EN: "The NIV guideline (2022) advises, as an alternative, an evaluation after 3 months and then yearly.",
	})
	w := itoa(th.MonitoringWindowDays)
	return []Finding{{
		Topic:     TopicTreatmentMonitoringSchedule,
		Indicator: Info,
		Summary:   summary,
		Detail:    detail,
		Evidence: []Evidence{
			{Label: Text{NL: "Start huidige behandeling (" + drug.NL + ")", EN: "Start of current treatment (" + drug.EN + ")"},
				ValueText: displayName(course.Record), Date: course.Start, Source: course.Record.Source},
			{Label: Text{NL: "Controle gepland rond", EN: "Check due around"}, ValueText: due},
		},
		Thresholds: []Text{
			{NL: "schema nascholing huisartsen: 1 maand, jaarlijks in jaar 1–4 (5 en 8 jaar: aparte kaarten)",
				EN: "GP training deck schedule: 1 month, yearly in years 1–4 (5 and 8 years: separate cards)"},
			{NL: "kaart zichtbaar van " + w + " dagen vóór tot " + w + " dagen na de geplande datum",
				EN: "card shown from " + w + " days before to " + w + " days after the due date"},
		},
		Citations:       []Citation{CiteSeedGPControlebeleid, CiteNIVLongTerm},
		OverrideReasons: StandardOverrideReasons,
	}}
}

// currentTreatmentCourse returns the most recently started osteoporosis
// treatment course still running at T.
func currentTreatmentCourse(c *Context) (monitoringCourse, bool) {
	asOf := c.Facts.AsOf
	var best monitoringCourse
	found := false
	consider := func(mc monitoringCourse) {
		if !found || mc.Start.After(best.Start) {
			best, found = mc, true
		}
	}
	for _, cl := range []DrugClass{DrugBisphosphonateOral, DrugSERM, DrugTeriparatide, DrugRomosozumab} {
		eps := c.Episodes(cl, false)
		if len(eps) == 0 {
			continue
		}
		last := eps[len(eps)-1]
		if !last.Open && last.End.Before(asOf) {
			continue
		}
		if last.Start.After(asOf) {
			continue
		}
		consider(monitoringCourse{Start: last.Start, Record: last.Records[0]})
	}
	if doses := denosumabDoses(c); len(doses) > 0 {
		maxGap := c.Thresholds.DmabLateCriticalDays
		last := doses[len(doses)-1]
		if _, stopped := denosumabStop(c, doses); !stopped && DaysBetween(last.Date, asOf) <= maxGap {
			first := len(doses) - 1
			for first > 0 && DaysBetween(doses[first-1].Date, doses[first].Date) <= maxGap {
				first--
			}
			consider(monitoringCourse{Start: doses[first].Date, Record: doses[first].Record})
		}
	}
	return best, found
}

// dueMonitoringVisit returns the check whose window contains T.
func dueMonitoringVisit(c *Context, start time.Time) (monitoringVisit, bool) {
	visits := []monitoringVisit{{Due: start.AddDate(0, 1, 0), Year: 0}}
	for y := 1; y <= 4; y++ {
		visits = append(visits, monitoringVisit{Due: start.AddDate(y, 0, 0), Year: y})
	}
	w := c.Thresholds.MonitoringWindowDays
	for _, v := range visits {
		d := DaysBetween(v.Due, c.Facts.AsOf)
		if d >= -w && d <= w {
			return v, true
		}
	}
	return monitoringVisit{}, false
}
