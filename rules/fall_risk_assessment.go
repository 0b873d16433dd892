package rules

// R26 fall-risk-assessment (rules.md §4 R26).
//
// Sources: NHG-Standaard Fractuurpreventie 2024 "Inventariseer het valrisico
// bij patiënten die het afgelopen jaar ≥ 2 keer gevallen zijn"; SEED-GP
// slide "Valpreventie — Hoe vaak bent u het afgelopen jaar gevallen? Bent u
// bang om te vallen?" and "Wat werkt — Beweegprogramma's gericht op
// mobiliteit, spierkracht en balans". Codes for falls are UNVERIFIED
// (terminology.md §9); the fhir package fills Facts.Falls.
//
// Thresholds: FALLS_TRIGGER (≥ 2 falls), counted over the past year (the
// guideline's "afgelopen jaar", a unit rather than a tunable).
//
// Fires (info) at patient-view in a fracture-prevention context
// (fracture-case-finding, dexa-who-classification,
// osteoporosis-treatment-indication or fracture-on-treatment fires; see
// fracture_prevention_context.go) when ≥ FALLS_TRIGGER falls are recorded
// in the past 12 months, or fear of falling is recorded in that period.
// Falls are counted as the larger of the number of single-fall records
// and the largest "falls in the past 12 months" count above 1, so that a
// questionnaire count and the events it summarises are not added up.
// (A count observation of exactly 1 cannot be told from a single-fall
// record in Facts and counts as one event.) Falls only during sport with no
// fall record (SEED-GP Casus 1, S3c) stay silent. Suggestion: a referral for
// a fall-prevention exercise programme.

// TopicFallRiskAssessment is the topic code of R26.
const TopicFallRiskAssessment = "fall-risk-assessment"

// FallRiskAssessment is rule R26.
var FallRiskAssessment = Rule{
	Number: 26,
	Topic:  TopicFallRiskAssessment,
	Hooks:  []Hook{PatientView},
	Eval:   evalFallRiskAssessment,
}

func init() { register(FallRiskAssessment) }

// KeyReferralFallPrevention is the fall-prevention exercise referral.
const KeyReferralFallPrevention = "referral-fall-prevention"

// fallWindowMonths is the guideline's "afgelopen jaar".
const fallWindowMonths = 12

// fallsInPastYear returns the number of falls and whether fear of falling
// was recorded in the past year, with the records used.
func fallsInPastYear(c *Context) (falls int, fear bool, used []FallRecord) {
	since := MonthsBefore(c.Facts.AsOf, fallWindowMonths)
	events, counted := 0, 0
	for _, r := range c.Facts.Falls {
		if r.Date.IsZero() || !r.Date.After(since) || r.Date.After(c.Facts.AsOf) {
			continue
		}
		switch {
		case r.Count > 1:
			if r.Count > counted {
				counted = r.Count
			}
		case r.Count == 1 || !r.FearOfFalling:
			events++
		}
		fear = fear || r.FearOfFalling
		used = append(used, r)
	}
	falls = events
	if counted > falls {
		falls = counted
	}
	return falls, fear, used
}

func evalFallRiskAssessment(c *Context) []Finding {
	th := c.Thresholds
	falls, fear, used := fallsInPastYear(c)
	if falls < th.FallsTrigger && !fear {
		return nil
	}
	fired := firingTopics(c, TopicFractureCaseFinding, TopicDexaWHOClassification, TopicOsteoporosisTreatmentIndication, topicFractureOnTreatmentRef)
	if len(fired) == 0 {
		return nil
	}
	ev := []Evidence{{Label: Text{NL: "Valpartijen in het afgelopen jaar", EN: "Falls in the past year"}, Value: itoa(falls)}}
	for _, r := range used {
		label, value := Text{NL: "Val", EN: "Fall"}, "1"
		switch {
		case r.FearOfFalling && r.Count == 0:
			label, value = Text{NL: "Angst om te vallen", EN: "Fear of falling"}, "ja / yes"
		case r.Count > 1:
			label, value = Text{NL: "Aantal valpartijen (afgelopen jaar)", EN: "Number of falls (past year)"}, itoa(r.Count)
		}
		ev = append(ev, Evidence{Label: label, Value: value, Date: r.Date, Source: r.Source})
	}
	summary := Text{
		NL: "≥" + itoa(th.FallsTrigger) + " keer gevallen in het afgelopen jaar: valrisico-inventarisatie en valpreventie",
		EN: "≥" + itoa(th.FallsTrigger) + " falls in the past year: multifactorial fall-risk assessment and fall prevention",
	}
	if falls < th.FallsTrigger {
		summary = Text{
			NL: "Angst om te vallen: valrisico-inventarisatie en valpreventie",
			EN: "Fear of falling: multifactorial fall-risk assessment and fall prevention",
		}
	}
	referral := Text{NL: "Verwijzing beweegprogramma valpreventie (mobiliteit, spierkracht, balans)", EN: "Referral to a fall-prevention exercise programme (mobility, strength, balance)"}
	return []Finding{{
		Topic:     TopicFallRiskAssessment,
		Indicator: Info,
		Summary:   summary,
		Detail: Text{
			NL: "De meeste fracturen ontstaan na een val. Bij deze patiënt loopt fractuurpreventie; inventariseer het valrisico (o.a. medicatie, mobiliteit, visus, duizeligheid, woonomgeving) en bied valpreventie aan. Beweegprogramma's gericht op mobiliteit, spierkracht en balans werken.",
			EN: "Most fractures follow a fall. Fracture prevention is under way for this patient; assess fall risk (medication, mobility, vision, dizziness, home environment among others) and offer fall prevention. Exercise programmes for mobility, strength and balance work.",
		},
		Evidence: ev,
		Thresholds: []Text{
			{NL: "≥ " + itoa(th.FallsTrigger) + " valpartijen in de afgelopen " + itoa(fallWindowMonths) + " maanden, of angst om te vallen (NHG 2024; nascholing huisartsen)",
				EN: "≥ " + itoa(th.FallsTrigger) + " falls in the past " + itoa(fallWindowMonths) + " months, or fear of falling (NHG 2024; GP training course)"},
			{NL: "alleen naast een fractuurpreventie-advies", EN: "only alongside fracture-prevention advice"},
		},
		Citations: []Citation{CiteNHG},
		Suggestions: []Suggestion{{
			Key:         KeyReferralFallPrevention,
			Label:       referral,
			Recommended: true,
			Actions: []Action{{
				Type:        Create,
				Description: referral,
				Order: &Order{
					Kind:      OrderReferral,
					Specialty: Text{NL: "fysiotherapie (valpreventie)", EN: "physiotherapy (fall prevention)"},
					Reason:    Text{NL: "verhoogd valrisico bij fractuurpreventie", EN: "raised fall risk in fracture prevention"},
				},
			}},
		}},
		SelectionAny:    true,
		OverrideReasons: StandardOverrideReasons,
	}}
}
