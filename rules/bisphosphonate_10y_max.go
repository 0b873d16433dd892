package rules

// R15 bisphosphonate-10y-max (rules.md §4 R15).
//
// Sources: SEED-GP "Na 5 jaar behandeling…NHG" quoting NHG-Standaard
// Fractuurpreventie 2012 ("Bij patiënten met een persisterend hoog
// fractuurrisico kan de behandeling tot een periode van maximaal 10 jaar
// worden voortgezet. Weeg hierbij … het met de behandelduur toenemende
// risico op zeldzame bijwerkingen zoals osteonecrose, slokdarmcarcinoom en
// atypische femurschachtfracturen"); ASBMR 2016 task force (FLEX: 10 years
// oral; HORIZON extension: 6 years of zoledronic acid, the "max 6 y" wording
// is UNVERIFIED, rules.md §3).
//
// Thresholds: BP_MAX_YEARS (10 y oral = 3652 days), ZOL_MAX_YEARS (6
// infusions, one year each, rules.md §0.3), BP_HOLIDAY_REEVAL_YEARS (3).
//
// Fires at patient-view when a bisphosphonate is in use, and at order-sign
// when a bisphosphonate renewal is being signed, once the cumulative
// exposure reaches the maximum. R14 bisphosphonate-5y-review stays silent
// then, so the patient gets one card.

// TopicBisphosphonate10yMax is the topic code of R15.
const TopicBisphosphonate10yMax = "bisphosphonate-10y-max"

// Bisphosphonate10yMax is rule R15.
var Bisphosphonate10yMax = Rule{
	Number: 15,
	Topic:  TopicBisphosphonate10yMax,
	Hooks:  []Hook{PatientView, OrderSign},
	Eval:   evalBisphosphonate10yMax,
}

func init() { register(Bisphosphonate10yMax) }

// keyBPStopMax is the stop suggestion of R15.
const keyBPStopMax = "bisphosphonate-stop-maximum"

func evalBisphosphonate10yMax(c *Context) []Finding {
	th := c.Thresholds
	e := c.bisphosphonateExposure()
	if !e.Any() || !c.bpOnTreatment(e) || !c.bpMaxReached(e) {
		return nil
	}
	maxYears, _ := c.bpMaxDate(e)
	reason := Text{NL: "maximale behandelduur bisfosfonaat bereikt", EN: "maximum bisphosphonate treatment duration reached"}
	stop := c.stopBPSuggestion(keyBPStopMax,
		Text{
			NL: "Bisfosfonaat staken; herbeoordeling over " + itoa(th.BPHolidayReevalYears) + " jaar",
			EN: "Stop the bisphosphonate; re-evaluate in " + itoa(th.BPHolidayReevalYears) + " years",
		}, reason, true)
	return []Finding{{
		Topic:     TopicBisphosphonate10yMax,
		Indicator: Warning,
		Summary: Text{
			NL: "Bisfosfonaat ≥" + itoa(maxYears) + " jaar: maximum bereikt; staken en herbeoordelen",
			EN: "Bisphosphonate ≥" + itoa(maxYears) + " years: maximum reached; stop and re-evaluate",
		},
		Detail: Text{
			NL: "De maximale behandelduur met een bisfosfonaat is bereikt. Met de behandelduur neemt het risico op zeldzame bijwerkingen toe: osteonecrose van de kaak, slokdarmcarcinoom en atypische femurschachtfracturen. " +
				"Staak het bisfosfonaat, zet calcium/vitamine D voort en doorloop het stappenplan opnieuw over " + itoa(th.BPHolidayReevalYears) + " jaar, of eerder bij een nieuwe fractuur. " +
				"Bij een blijvend zeer hoog fractuurrisico: overleg met de tweede lijn over ander beleid.",
			EN: "The maximum bisphosphonate treatment duration has been reached. The risk of rare adverse effects rises with treatment duration: osteonecrosis of the jaw, oesophageal carcinoma and atypical femoral shaft fractures. " +
				"Stop the bisphosphonate, keep calcium/vitamin D and repeat the stepwise evaluation in " + itoa(th.BPHolidayReevalYears) + " years, or earlier after a new fracture. " +
				"If fracture risk stays very high, discuss further management with secondary care.",
		},
		Evidence: e.evidence(),
		Thresholds: []Text{
			{NL: "oraal bisfosfonaat ≥ " + itoa(th.BPMaxYears) + " jaar (" + itoa(yearsInDays(th.BPMaxYears)) + " dagen); zoledroninezuur ≥ " + itoa(th.ZolMaxYears) + " infusen (1 jaar per infuus)",
				EN: "oral bisphosphonate ≥ " + itoa(th.BPMaxYears) + " years (" + itoa(yearsInDays(th.BPMaxYears)) + " days); zoledronic acid ≥ " + itoa(th.ZolMaxYears) + " infusions (1 year per infusion)"},
		},
		Citations:       []Citation{CiteNHG, CiteASBMR2016},
		Suggestions:     []Suggestion{stop},
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}
