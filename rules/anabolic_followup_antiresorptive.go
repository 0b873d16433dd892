package rules

import "time"

// R22 anabolic-followup-antiresorptive (rules.md §4 R22).
//
// Sources: SEED-GP "Anabole middel: teriparatide … Maximaal 24 maanden …
// Gevolgd door botresorptieremmer"; Forsteo SmPC "Following cessation of
// FORSTEO therapy, patients may be continued on other osteoporosis
// therapies"; NIV 2022 standard duration "1 jaar voor romosozumab".
// Romosozumab-specific follow-on requirements are UNVERIFIED.
//
// Thresholds: ANABOLIC_FOLLOWUP_DAYS (90, [DESIGN]), ROMO_COURSE_MONTHS
// (12), TPTD_MAX_MONTHS (24).
//
// Fires (warning) when the latest teriparatide or romosozumab course ended
// on day S (its episode is no longer active and ended before T), more than
// ANABOLIC_FOLLOWUP_DAYS have passed since S, and no antiresorptive
// (bisphosphonate, denosumab 60 mg, SERM) was started, given or planned
// from the start of that course onwards, nor is one active now. rules.md
// also names "teriparatide ≥ 18 months given"; a course still running
// needs no follow-on yet (R21 announces its end from 22 months), so only
// ended courses count, whatever their length.

// TopicAnabolicFollowupAntiresorptive is the topic code of R22.
const TopicAnabolicFollowupAntiresorptive = "anabolic-followup-antiresorptive"

// AnabolicFollowupAntiresorptive is rule R22.
var AnabolicFollowupAntiresorptive = Rule{
	Number: 22,
	Topic:  TopicAnabolicFollowupAntiresorptive,
	Hooks:  []Hook{PatientView},
	Eval:   evalAnabolicFollowupAntiresorptive,
}

func init() { register(AnabolicFollowupAntiresorptive) }

// anabolicFollowupAntiresorptives are the classes that preserve the gain of an anabolic
// course.
var anabolicFollowupAntiresorptives = []DrugClass{DrugBisphosphonate, DrugDenosumab, DrugSERM}

func evalAnabolicFollowupAntiresorptive(c *Context) []Finding {
	th := c.Thresholds
	var course Episode
	var drug DrugClass
	found := false
	for _, cl := range []DrugClass{DrugTeriparatide, DrugRomosozumab} {
		if c.Active(cl) {
			continue
		}
		eps := c.Episodes(cl, false)
		if len(eps) == 0 {
			continue
		}
		e := eps[len(eps)-1]
		if e.Open || !e.End.Before(c.Facts.AsOf) {
			continue
		}
		if !found || e.End.After(course.End) {
			course, drug, found = e, cl, true
		}
	}
	if !found {
		return nil
	}
	since := DaysBetween(course.End, c.Facts.AsOf)
	if since <= th.AnabolicFollowupDays {
		return nil
	}
	if antiresorptiveSince(c, course.Start) {
		return nil
	}

	nameNL, nameEN := "teriparatide", "teriparatide"
	courseNL, courseEN := "maximaal "+itoa(th.TptdMaxMonths)+" maanden", "at most "+itoa(th.TptdMaxMonths)+" months"
	if drug == DrugRomosozumab {
		nameNL, nameEN = "romosozumab", "romosozumab"
		courseNL, courseEN = itoa(th.RomoCourseMonths)+" maanden", itoa(th.RomoCourseMonths)+" months"
	}
	first := course.Records[0]
	lastRec := course.Records[len(course.Records)-1]
	ev := []Evidence{
		{Label: Text{NL: "Kuur " + nameNL + " gestart", EN: nameEN + " course started"}, ValueText: first.DisplayName(), Date: course.Start, Source: first.Source},
		{Label: Text{NL: "Kuur " + nameNL + " geëindigd", EN: nameEN + " course ended"}, ValueText: Text{NL: lastRec.DisplayName().NL + ", status " + StatusText(lastRec.Status).NL, EN: lastRec.DisplayName().EN + ", status " + lastRec.Status}, Date: course.End, Source: lastRec.Source},
		{Label: Text{NL: "Dagen sinds einde kuur", EN: "Days since the end of the course"}, ValueText: Days(since)},
		{Label: Text{NL: "Botresorptieremmer sinds start kuur", EN: "Antiresorptive since the start of the course"}, ValueText: Text{NL: "geen", EN: "none"}},
	}
	reason := Text{NL: "vervolg na anabole behandeling (" + nameNL + ")", EN: "follow-on after anabolic treatment (" + nameEN + ")"}
	f := Finding{
		Topic:     TopicAnabolicFollowupAntiresorptive,
		Indicator: Warning,
		Summary: Text{
			NL: "Anabole kuur (" + nameNL + ") beëindigd: start een botresorptieremmer om de botwinst te behouden",
			EN: "Anabolic course (" + nameEN + ") ended: follow with an antiresorptive to preserve the BMD gain",
		},
		Detail: Text{
			NL: "De kuur " + nameNL + " (" + courseNL + ") is op " + FormatDateIn(course.End, "nl") + " geëindigd, " + AgoText(since).NL + " geleden, en er is geen botresorptieremmer gestart. " +
				"Zonder vervolg gaat de winst in botdichtheid verloren. Start een bisfosfonaat (bijvoorbeeld zoledroninezuur iv) of denosumab; controleer vooraf eGFR, calcium en vitamine D.",
			EN: "The " + nameEN + " course (" + courseEN + ") ended on " + FormatDateIn(course.End, "en") + ", " + AgoText(since).EN + " ago, and no antiresorptive has been started. " +
				"Without follow-on treatment the gain in bone density is lost. Start a bisphosphonate (for example IV zoledronic acid) or denosumab; check eGFR, calcium and vitamin D first.",
		},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "botresorptieremmer binnen " + itoa(th.AnabolicFollowupDays) + " dagen na einde anabole kuur", EN: "antiresorptive within " + itoa(th.AnabolicFollowupDays) + " days of the end of the anabolic course"},
			{NL: "kuurduur: teriparatide maximaal " + itoa(th.TptdMaxMonths) + " maanden, romosozumab " + itoa(th.RomoCourseMonths) + " maanden (SmPC, NIV 2022)",
				EN: "course length: teriparatide at most " + itoa(th.TptdMaxMonths) + " months, romosozumab " + itoa(th.RomoCourseMonths) + " months (SmPC, NIV 2022)"},
		},
		Citations: []Citation{CiteForsteoSmPC, CiteNIVLongTerm, CiteNHG},
		Suggestions: []Suggestion{
			SuggestMedication("anabolic-followup-zoledronic-acid", DrugOrderZoledronicAcid5mg, time.Time{},
				Text{NL: "Zoledroninezuur 5 mg iv", EN: "Zoledronic acid 5 mg IV"}, reason),
			SuggestMedication(KeyOrderDenosumab60mg, DrugOrderDenosumab60mg, time.Time{},
				Text{NL: "Denosumab " + FormatNumberNL(th.DmabOPStrengthMg) + " mg s.c.", EN: "Denosumab " + FormatNumber(th.DmabOPStrengthMg) + " mg s.c."}, reason),
		},
		SelectionAny:    false,
		OverrideReasons: StandardOverrideReasons,
	}
	// Contraindications and missing safety labs before zoledronic acid
	// (bisphosphonate_safety.go).
	applyBPSafety(c, &f, false)
	return []Finding{f}
}

// antiresorptiveSince reports whether an antiresorptive was started, given
// or planned on or after start, or is active now.
func antiresorptiveSince(c *Context, start time.Time) bool {
	for _, cl := range anabolicFollowupAntiresorptives {
		for _, m := range c.Records(cl, false) {
			if cl == DrugDenosumab && c.IsOncologyDenosumab(m) {
				continue
			}
			if m.DoNotPerform {
				continue
			}
			switch m.Status {
			case "cancelled", "not-taken", "not-done", "entered-in-error":
				continue
			}
			if c.StatusActive(m) {
				return true
			}
			if !bpDate(c, m).Before(start) {
				return true
			}
		}
	}
	return false
}
