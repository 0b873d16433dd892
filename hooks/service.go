package hooks

import (
	"github.com/fracturecds/fracturecds/rules"
)

// Service is one CDS service as advertised in discovery (§Discovery).
type Service struct {
	Hook        string            `json:"hook"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description"`
	ID          string            `json:"id"`
	Prefetch    map[string]string `json:"prefetch,omitempty"`
	// UsageRequirements tells the EHR what the service needs (spec example:
	// degraded without FHIR API access).
	UsageRequirements string `json:"usageRequirements,omitempty"`
}

// Discovery is the GET /cds-services response.
type Discovery struct {
	Services []Service `json:"services"`
}

// Service ids are a contract with EHR configurations: never rename them.
const (
	ServicePatientView = "fracturecds-patient-view"
	ServiceOrderSelect = "fracturecds-order-select"
	ServiceOrderSign   = "fracturecds-order-sign"
)

const usage = "Needs the prefetch keys listed here, or fhirServer with a fhirAuthorization token that can read Patient, Condition, Observation, MedicationStatement, MedicationRequest, MedicationAdministration and ServiceRequest for the patient. Without either the service answers 412."

// services lists the CDS services with the prefetch templates that cover
// everything the rules read.
func services(prefetch map[string]string) []Service {
	return []Service{
		{
			Hook:              string(rules.PatientView),
			ID:                ServicePatientView,
			Title:             "Fractuurpreventie bij openen dossier (fracture prevention on chart open)",
			Description:       "Fracture-prevention advice when a chart is opened: case finding after a fracture, DXA on indication for long-term methotrexate, treatment indication, lab work-up, bisphosphonate 5- and 10-year review, denosumab dose timing and never stopping it without follow-up, teriparatide limits and DXA change interpretation (NHG/NIV guidelines).",
			Prefetch:          prefetch,
			UsageRequirements: usage,
		},
		{
			Hook:              string(rules.OrderSelect),
			ID:                ServiceOrderSelect,
			Title:             "Fractuurpreventie bij selecteren order (fracture prevention on order select)",
			Description:       "Early checks when an osteoporosis drug or methotrexate is selected: contraindications (eGFR, low alkaline phosphatase, hypocalcaemia), missing pre-treatment labs, teriparatide lifetime limit, DXA on indication for long-term methotrexate.",
			Prefetch:          prefetch,
			UsageRequirements: usage,
		},
		{
			Hook:              string(rules.OrderSign),
			ID:                ServiceOrderSign,
			Title:             "Fractuurpreventie bij ondertekenen order (fracture prevention on order sign)",
			Description:       "Hard checks before orders are signed: bisphosphonate contraindications, denosumab never stopped without a zoledronic acid follow-up, teriparatide lifetime limit, pre-treatment labs.",
			Prefetch:          prefetch,
			UsageRequirements: usage,
		},
	}
}
