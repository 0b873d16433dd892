package admin

import "github.com/fracturecds/fracturecds/rules"

// topicNames are the names the report shows for card topic codes: the
// people who read /report (a pharmacotherapy committee, an app manager)
// know the advice, not the codes. The codes stay beside them, since
// /analytics, the metrics and feedback key on codes. A topic without a
// name here shows its code (TestEveryTopicHasAName keeps the list whole).
var topicNames = map[string]string{
	rules.TopicFractureCaseFinding:                "Fracture risk case finding",
	rules.TopicGlucocorticoidBoneRisk:             "Glucocorticoids and bone",
	rules.TopicBoneRiskMedication:                 "Medication raising fracture or fall risk",
	rules.TopicMTXDexaOnIndication:                "Methotrexate: DXA on indication",
	rules.TopicDexaWHOClassification:              "DXA result (WHO classification)",
	rules.TopicOsteoporosisTreatmentIndication:    "Osteoporosis treatment indication",
	rules.TopicPretreatmentLabWorkup:              "Laboratory work-up before treatment",
	rules.TopicBisphosphonateEGFRContraindication: "Bisphosphonate and low eGFR",
	rules.TopicBisphosphonateLowALP:               "Bisphosphonate and low ALP",
	rules.TopicAntiresorptiveHypocalcaemia:        "Antiresorptive and low calcium",
	rules.TopicVitaminDDeficiency:                 "Vitamin D deficiency",
	rules.TopicSecondaryOsteoporosisLabFlags:      "Secondary osteoporosis lab flags",
	rules.TopicCalciumVitaminDCotherapy:           "Calcium and vitamin D with treatment",
	rules.TopicBisphosphonate5yReview:             "Bisphosphonate 5-year review",
	rules.TopicBisphosphonate10yMax:               "Bisphosphonate 10-year maximum",
	rules.TopicBisphosphonateHolidayReevaluation:  "Bisphosphonate holiday re-evaluation",
	rules.TopicFractureOnTreatment:                "Fracture on treatment",
	rules.TopicDenosumabDoseOverdue:               "Denosumab dose overdue",
	rules.TopicDenosumabNoStopWithoutFollowup:     "Denosumab stop without follow-up",
	rules.TopicDenosumab5yReview:                  "Denosumab 5-year review",
	rules.TopicTeriparatideMax24Months:            "Teriparatide 24-month maximum",
	rules.TopicAnabolicFollowupAntiresorptive:     "Antiresorptive after anabolic treatment",
	rules.TopicDexaChangeLSC:                      "DXA change beyond the LSC",
	rules.TopicDexaChangeImplausible:              "Implausible DXA change",
	rules.TopicOralBisphosphonateGICaution:        "Oral bisphosphonate: oesophagus caution",
	rules.TopicFallRiskAssessment:                 "Fall risk assessment",
	rules.TopicTreatmentMonitoringSchedule:        "Treatment monitoring schedule",
	rules.TopicInsufficientData:                   "Insufficient data",
}

// topicName is the name of a topic code, or the code itself.
func topicName(code string) string {
	if n, ok := topicNames[code]; ok {
		return n
	}
	return code
}
