package rules

import (
	"strconv"
	"time"
)

func itoa(i int) string { return strconv.Itoa(i) }

// CoreLabPanel is the pre-treatment panel of rules.md R07 (NIV 2022 core
// plus the SEED-GP table): ESR, eGFR/creatinine, TSH, free T4, 25-OH
// vitamin D, albumin, ALP, calcium, phosphate.
var CoreLabPanel = []Analyte{
	AnalyteESR, AnalyteCreatinine, AnalyteEGFR, AnalyteTSH, AnalyteFT4,
	AnalyteVitaminD, AnalyteAlbumin, AnalyteALP, AnalyteCalcium, AnalytePhosphate,
}

// Suggestion keys shared across rules; a key is suggested once per response.
const (
	KeyOrderDXA      = "order-dxa"
	KeyOrderLabPanel = "order-lab-panel"
)

// SuggestDXA is the DXA order suggestion (with VFA when withVFA).
func SuggestDXA(withVFA bool, reason Text) Suggestion {
	label := Text{NL: "DXA-scan aanvragen", EN: "Order a DXA scan"}
	if withVFA {
		label = Text{NL: "DXA-scan met VFA aanvragen", EN: "Order a DXA scan with vertebral fracture assessment (VFA)"}
	}
	return Suggestion{
		Key:         KeyOrderDXA,
		Label:       label,
		Recommended: true,
		Actions: []Action{{
			Type:        Create,
			Description: label,
			Order:       &Order{Kind: OrderDXA, WithVFA: withVFA, Reason: reason},
		}},
	}
}

// SuggestLabPanel is the lab panel suggestion for the given analytes.
func SuggestLabPanel(analytes []Analyte, reason Text) Suggestion {
	label := Text{NL: "Laboratoriumonderzoek aanvragen", EN: "Order laboratory tests"}
	return Suggestion{
		Key:         KeyOrderLabPanel,
		Label:       label,
		Recommended: true,
		Actions: []Action{{
			Type:        Create,
			Description: label,
			Order:       &Order{Kind: OrderLabPanel, Analytes: append([]Analyte(nil), analytes...), Reason: reason},
		}},
	}
}

// SuggestDeleteDraft removes a draft order from the EHR's order session.
func SuggestDeleteDraft(m MedicationRecord, label Text) Suggestion {
	return Suggestion{
		Key:   "delete-" + string(m.Source),
		Label: label,
		Actions: []Action{{
			Type:        Delete,
			Description: label,
			ResourceID:  m.Source,
		}},
	}
}

// SuggestMedication orders drug d at date (zero = now).
func SuggestMedication(key string, d Drug, date time.Time, label Text, reason Text) Suggestion {
	return Suggestion{
		Key:   key,
		Label: label,
		Actions: []Action{{
			Type:        Create,
			Description: label,
			Order:       &Order{Kind: OrderMedication, Drug: d, Date: date, Reason: reason},
		}},
	}
}

// StandardOverrideReasons are offered on every actionable card. Codes are
// stable: governance analytics count them.
var StandardOverrideReasons = []OverrideReason{
	{Code: "already-addressed", Display: Text{NL: "Al geregeld of elders in behandeling", EN: "Already addressed or managed elsewhere"}},
	{Code: "patient-declined", Display: Text{NL: "Patiënt ziet ervan af", EN: "Patient declined"}},
	{Code: "not-applicable", Display: Text{NL: "Niet van toepassing bij deze patiënt", EN: "Not applicable to this patient"}},
	{Code: "data-incorrect", Display: Text{NL: "Gegevens in het dossier kloppen niet", EN: "Record data are incorrect"}},
}
