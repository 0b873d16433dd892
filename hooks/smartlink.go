package hooks

import (
	"net/url"

	"github.com/fracturecds/fracturecds/rules"
)

// historyTopics are the cards that weigh a history - a DXA change against
// the LSC, years of a bisphosphonate, a holiday, denosumab doses, a
// fracture on treatment, teriparatide months - and so carry a smart link
// to the bone-health view, where that history is one picture.
var historyTopics = map[string]bool{
	rules.TopicDexaChangeLSC:                     true,
	rules.TopicDexaChangeImplausible:             true,
	rules.TopicBisphosphonate5yReview:            true,
	rules.TopicBisphosphonate10yMax:              true,
	rules.TopicBisphosphonateHolidayReevaluation: true,
	rules.TopicDenosumabDoseOverdue:              true,
	rules.TopicDenosumabNoStopWithoutFollowup:    true,
	rules.TopicDenosumab5yReview:                 true,
	rules.TopicFractureOnTreatment:               true,
	rules.TopicTeriparatideMax24Months:           true,
}

// boneHealthLink is the card link of type smart to the bone-health view
// for a card on topic, or false when the topic does not weigh a history
// or no launch URL is configured. The EHR adds iss and launch (SMART EHR
// launch); the patient parameter serves only an open FHIR server, which
// has no launch context to name the patient (the view ignores it after an
// OAuth launch, whose token names the patient).
func boneHealthLink(launchURL, topic, lang, patientID string) (Link, bool) {
	if launchURL == "" || !historyTopics[topic] {
		return Link{}, false
	}
	u := launchURL
	if patientID != "" {
		u += "?" + url.Values{"patient": {patientID}}.Encode()
	}
	label := rules.Text{NL: "Botgezondheid in één oogopslag (DXA, fracturen, behandeling)", EN: "Bone health at a glance (DXA, fractures, treatment)"}
	return Link{Label: label.In(lang), URL: u, Type: "smart"}, true
}
