package rules

import (
	"testing"
	"time"
)

// Injectables arrive as single doses; a dose must count as treatment for
// as long as it covers, or a Prolia patient with a new fracture would get
// case finding (R01) next to fracture-on-treatment (R17).
func TestActiveOsteoporosisDrugCountsInjectableDoseCover(t *testing.T) {
	asOf := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	dose := func(classes []DrugClass, daysAgo int, strength float64) MedicationRecord {
		return MedicationRecord{
			Source: "MedicationAdministration/x", Kind: KindAdministration, Classes: classes,
			Status: "completed", Start: asOf.AddDate(0, 0, -daysAgo), SingleDose: true, StrengthMg: strength,
		}
	}
	dmab := []DrugClass{DrugDenosumab}
	zol := []DrugClass{DrugBisphosphonate, DrugBisphosphonateIV, DrugZoledronicAcid}
	tests := []struct {
		name string
		med  MedicationRecord
		want bool
	}{
		{"Prolia 60 mg 150 days ago", dose(dmab, 150, 60), true},
		{"Prolia 60 mg 295 days ago (critically late but on treatment)", dose(dmab, 295, 60), true},
		{"Prolia 60 mg 296 days ago", dose(dmab, 296, 60), false},
		{"Prolia without known strength 100 days ago", dose(dmab, 100, 0), true},
		{"Xgeva 120 mg 20 days ago is oncology", dose(dmab, 20, 120), false},
		{"zoledronic acid 5 mg 364 days ago", dose(zol, 364, 5), true},
		{"zoledronic acid 5 mg 366 days ago", dose(zol, 366, 5), false},
		{"zoledronic acid 4 mg (oncology) 30 days ago", dose(zol, 30, 4), false},
		{"a dose in the future is not treatment", dose(dmab, -10, 60), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Context{Facts: Facts{AsOf: asOf, Medications: []MedicationRecord{tt.med}}, Thresholds: DefaultThresholds()}
			if got := c.ActiveOsteoporosisDrug(); got != tt.want {
				t.Errorf("ActiveOsteoporosisDrug() = %v, want %v", got, tt.want)
			}
		})
	}
}
