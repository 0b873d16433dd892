package rules

// R01 fracture-case-finding (rules.md §4 R01).
//
// Sources: NHG-Standaard Fractuurpreventie 2024 risk group 1 "patiënten
// ≥ 50 jaar met een (wervel)fractuur < 2 jaar geleden"; NHG 2012 "pro-actief
// beleid bij patiënten met een wervelfractuur of een recente (korter dan
// twee jaar geleden) niet-wervelfractuur"; NIV 2022 identification module
// (included sites, exclusions, "DXA + VFA"); SEED-GP Casus 1 (a missed
// hospital invitation is not a refusal).
//
// Thresholds: CASEFIND_MIN_AGE (≥ 50), RECENT_FRACTURE_MONTHS (24),
// VERTEBRAL_FRACTURE_ANYTIME (true).
//
// Fires when age ≥ 50, an included fracture is vertebral or recent, there is
// no DXA dated on or after that fracture, and no osteoporosis drug is active
// (those patients belong to fracture-on-treatment). A DXA ServiceRequest
// with status revoked dated after the fracture is a documented refusal.

// TopicFractureCaseFinding is the topic code of R01.
const TopicFractureCaseFinding = "fracture-case-finding"

// FractureCaseFinding is rule R01.
var FractureCaseFinding = Rule{
	Number: 1,
	Topic:  TopicFractureCaseFinding,
	Hooks:  []Hook{PatientView},
	Eval:   evalFractureCaseFinding,
}

func init() { register(FractureCaseFinding) }

func evalFractureCaseFinding(c *Context) []Finding {
	th := c.Thresholds
	age, ok := c.Age()
	if !ok || age < th.CaseFindMinAge {
		return nil
	}
	if c.ActiveOsteoporosisDrug() {
		return nil
	}
	var index *Condition
	for _, f := range c.Fractures() {
		if !c.RecentOrVertebral(f) {
			continue
		}
		if !f.Onset.IsZero() && c.DXAOnOrAfter(f.Onset) {
			continue
		}
		if f.Onset.IsZero() && len(c.Facts.DXA) > 0 {
			// An undated vertebral fracture with any DXA on record has been
			// evaluated as far as the data can tell.
			continue
		}
		if refusedAfter(c, f) {
			continue
		}
		if c.bpHolidayOwnsFracture(f) {
			// bisphosphonate-holiday-reevaluation (R16) asks for the same
			// DXA+VFA and labs for this fracture.
			continue
		}
		f := f
		if index == nil || f.Onset.After(index.Onset) {
			index = &f
		}
	}
	if index == nil {
		return nil
	}
	ev := []Evidence{
		{Label: Text{NL: "Leeftijd", EN: "Age"}, Value: itoa(age), UnitText: Text{NL: "jaar", EN: "years"}},
		{Label: Text{NL: "Fractuur", EN: "Fracture"}, ValueText: conditionName(*index), Date: index.Onset, Source: index.Source},
		{Label: Text{NL: "DXA-metingen na deze fractuur", EN: "DXA measurements after this fracture"}, Value: "0"},
	}
	detailNL := "Fractuur op of na de leeftijd van " + itoa(th.CaseFindMinAge) + " jaar zonder evaluatie van het fractuurrisico. " +
		"Het risico op een volgende fractuur is in de eerste jaren na een fractuur sterk verhoogd. " +
		"Advies: DXA met vertebral fracture assessment (VFA), laboratoriumonderzoek naar secundaire oorzaken en valrisico-inventarisatie."
	detailEN := "Fracture at or after age " + itoa(th.CaseFindMinAge) + " without a fracture-risk evaluation. " +
		"The risk of another fracture is sharply raised in the first years after a fracture. " +
		"Advice: DXA with vertebral fracture assessment (VFA), laboratory work-up for secondary causes, and a fall-risk assessment."
	if index.LowConfidence {
		detailNL += "\n\nLet op: de code maakt niet duidelijk of het om een vinger/teen (uitgesloten) of middenhand/middenvoet gaat; controleer de locatie."
		detailEN += "\n\nNote: the code does not tell a finger/toe (excluded) from a metacarpal/metatarsal; verify the site."
	}
	return []Finding{{
		Topic:     TopicFractureCaseFinding,
		Indicator: Warning,
		Summary: Text{
			NL: "Fractuur na 50e jaar zonder fractuurrisico-evaluatie: vraag DXA met VFA en lab aan",
			EN: "Fracture at ≥50 y without fracture-risk evaluation: order DXA with VFA and a lab panel",
		},
		Detail:   Text{NL: detailNL, EN: detailEN},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "leeftijd ≥ " + itoa(th.CaseFindMinAge) + " jaar", EN: "age ≥ " + itoa(th.CaseFindMinAge) + " years"},
			{NL: "wervelfractuur (elk moment) of andere fractuur < " + itoa(th.RecentFractureMonths) + " maanden geleden",
				EN: "vertebral fracture (any time) or other fracture < " + itoa(th.RecentFractureMonths) + " months ago"},
		},
		Citations:    []Citation{CiteNHG, CiteNIVIdentification},
		SelectionAny: true,
		Suggestions: []Suggestion{
			SuggestDXA(true, Text{NL: "fractuur na 50e jaar (case finding)", EN: "fracture at age ≥50 (case finding)"}),
			SuggestLabPanel(CoreLabPanel, Text{NL: "secundaire oorzaken en veiligheid medicatie", EN: "secondary causes and medication safety"}),
		},
		OverrideReasons: StandardOverrideReasons,
	}}
}

// refusedAfter reports a documented refusal of screening: a DXA service
// request with status revoked dated on or after the fracture.
func refusedAfter(c *Context, f Condition) bool {
	for _, s := range c.ServiceOrdersOf(ServiceDXA) {
		if s.Status == "revoked" && !s.Date.Before(f.Onset) {
			return true
		}
	}
	return false
}
