package rules

import (
	"sort"
	"time"
)

// Shared bisphosphonate (BP) exposure logic for R14 bisphosphonate-5y-review,
// R15 bisphosphonate-10y-max, R16 bisphosphonate-holiday-reevaluation and
// R17 fracture-on-treatment (rules.md §0.3 "Medication exposure"):
//
//   - oral BP exposure is the sum of the merged episodes of
//     DrugBisphosphonateOral (gap ≤ EPISODE_MERGE_GAP_DAYS);
//   - zoledronic acid counts one year of exposure per infusion [DESIGN,
//     annual dosing]; only the osteoporosis product (ZOL_OP_STRENGTH_MG,
//     5 mg) counts, 4 mg oncology infusions do not;
//   - a year is 365.25 days, rounded down: 5 y = 1826 days, 10 y = 3652 days.
//
// Mixed histories (oral, then zoledronic acid) are added up in days, one
// infusion counting as 365 days, and compared with the oral limits [DESIGN]:
// the guidelines give no rule for a switch within a course.

// zolYearsPerInfusion: one 5 mg zoledronic acid infusion covers one year
// (rules.md §0.3, [DESIGN]; Aclasta once-yearly dosing).
const zolYearsPerInfusion = 1

// yearsInDays converts whole years to days at 365.25 days a year, rounded
// down, so that 5 years is 1826 days.
func yearsInDays(years int) int { return years*365 + years/4 }

// bpExposure is a patient's bisphosphonate history at T.
type bpExposure struct {
	// OralEpisodes are the merged oral BP episodes; OralDays their total up
	// to T.
	OralEpisodes []Episode
	OralDays     int
	// Infusions are the zoledronic acid 5 mg infusions given on or before T,
	// one per distinct date, oldest first.
	Infusions []MedicationRecord
}

// Any reports whether there is any bisphosphonate exposure.
func (e bpExposure) Any() bool { return e.OralDays > 0 || len(e.Infusions) > 0 }

// days is the exposure in days, one infusion counting as a year.
func (e bpExposure) days() int {
	return e.OralDays + len(e.Infusions)*yearsInDays(zolYearsPerInfusion)
}

// reached reports whether the exposure reaches oralYears of oral BP, or
// zolCount infusions, or (for a mixed history) oralYears in total.
func (e bpExposure) reached(oralYears, zolCount int) bool {
	switch {
	case e.OralDays >= yearsInDays(oralYears):
		return true
	case len(e.Infusions) >= zolCount:
		return true
	case e.OralDays > 0 && len(e.Infusions) > 0:
		return e.days() >= yearsInDays(oralYears)
	}
	return false
}

// Start is the first day of bisphosphonate use (zero without exposure).
func (e bpExposure) Start() time.Time {
	var s time.Time
	if len(e.OralEpisodes) > 0 {
		s = e.OralEpisodes[0].Start
	}
	if len(e.Infusions) > 0 && (s.IsZero() || e.Infusions[0].Start.Before(s)) {
		s = e.Infusions[0].Start
	}
	return s
}

// End is the day the last exposure ends: the end of the last oral episode
// or one year after the last infusion, whichever is later. For an open oral
// episode it is T.
func (e bpExposure) End(asOf time.Time) time.Time {
	var end time.Time
	if n := len(e.OralEpisodes); n > 0 {
		end = e.OralEpisodes[n-1].End
		if e.OralEpisodes[n-1].Open {
			end = asOf
		}
	}
	if n := len(e.Infusions); n > 0 {
		if z := e.Infusions[n-1].Start.AddDate(zolYearsPerInfusion, 0, 0); z.After(end) {
			end = z
		}
	}
	return end
}

// exposureEvidence lists the exposure as card evidence.
func (e bpExposure) evidence() []Evidence {
	var ev []Evidence
	if e.OralDays > 0 {
		first := e.OralEpisodes[0].Records[0]
		ev = append(ev, Evidence{
			Label:     Text{NL: "Cumulatief gebruik oraal bisfosfonaat (" + first.DisplayName().NL + ", start)", EN: "Cumulative oral bisphosphonate use (" + first.Name + ", start)"},
			ValueText: DurationText(e.OralDays),
			Date:      e.OralEpisodes[0].Start,
			Source:    first.Source,
		})
	}
	for i, z := range e.Infusions {
		ev = append(ev, Evidence{
			Label:  Text{NL: "Zoledroninezuur-infuus " + itoa(i+1) + " (telt als 1 jaar)", EN: "Zoledronic acid infusion " + itoa(i+1) + " (counts as 1 year)"},
			Value:  FormatNumber(z.StrengthMg),
			Unit:   "mg",
			Date:   z.Start,
			Source: z.Source,
		})
	}
	return ev
}

// bisphosphonateExposure computes the BP history at T (draft orders not
// included: exposure is what was taken).
func (c *Context) bisphosphonateExposure() bpExposure {
	var e bpExposure
	e.OralEpisodes = c.Episodes(DrugBisphosphonateOral, false)
	for _, ep := range e.OralEpisodes {
		e.OralDays += ep.Days(c.Facts.AsOf)
	}
	seen := map[string]bool{}
	for _, m := range c.Records(DrugZoledronicAcid, false) {
		if !c.zolInfusionGiven(m) {
			continue
		}
		d := m.Start.Format(time.DateOnly)
		if seen[d] {
			continue // a statement and an administration of the same infusion
		}
		seen[d] = true
		e.Infusions = append(e.Infusions, m)
	}
	sort.SliceStable(e.Infusions, func(i, j int) bool { return e.Infusions[i].Start.Before(e.Infusions[j].Start) })
	return e
}

// zolInfusionGiven reports whether a zoledronic acid record stands for an
// osteoporosis infusion that was given on or before T.
func (c *Context) zolInfusionGiven(m MedicationRecord) bool {
	if m.StrengthMg > 0 && m.StrengthMg != c.Thresholds.ZolOPStrengthMg {
		return false
	}
	if m.DoNotPerform || m.Start.After(c.Facts.AsOf) {
		return false
	}
	switch m.Status {
	case "not-taken", "not-done", "cancelled", "draft", "intended", "entered-in-error":
		return false
	}
	return true
}

// bisphosphonateActive reports whether a bisphosphonate is in use at T: an
// active record (rules.md §0.3), or a zoledronic acid infusion whose year of
// cover has not ended.
func (c *Context) bisphosphonateActive(e bpExposure) bool {
	if c.Active(DrugBisphosphonate) {
		return true
	}
	if n := len(e.Infusions); n > 0 {
		return e.Infusions[n-1].Start.AddDate(zolYearsPerInfusion, 0, 0).After(c.Facts.AsOf)
	}
	return false
}

// activeBPRequests returns the active bisphosphonate MedicationRequests
// (the prescriptions a "stop" suggestion updates to status stopped).
func (c *Context) activeBPRequests() []MedicationRecord {
	var out []MedicationRecord
	for _, m := range c.Records(DrugBisphosphonate, false) {
		if m.Kind == KindRequest && c.StatusActive(m) {
			out = append(out, m)
		}
	}
	return out
}

// bpDraftOrders returns the bisphosphonate draft orders of this order
// session that are not cancelled or do-not-perform (a renewal being signed).
func (c *Context) bpDraftOrders() []MedicationRecord {
	var out []MedicationRecord
	for _, m := range c.DraftOrders(DrugBisphosphonate) {
		if m.DoNotPerform || m.Status == "cancelled" || m.Status == "stopped" || m.Status == "entered-in-error" {
			continue
		}
		out = append(out, m)
	}
	return out
}

// bpOnTreatment reports whether the bisphosphonate rules R14/R15 apply on
// this hook: at patient-view a BP must be in use; at order-sign a BP renewal
// must be among the draft orders.
func (c *Context) bpOnTreatment(e bpExposure) bool {
	if c.Facts.Hook == OrderSign {
		return len(c.bpDraftOrders()) > 0
	}
	return c.bisphosphonateActive(e)
}

// bpMaxReached reports whether R15 applies (maximum duration reached).
func (c *Context) bpMaxReached(e bpExposure) bool {
	return e.reached(c.Thresholds.BPMaxYears, c.Thresholds.ZolMaxYears)
}

// bpReviewDue reports whether the 5-year (oral) / 3-year (zoledronic acid)
// review of R14 is due.
func (c *Context) bpReviewDue(e bpExposure) bool {
	return e.reached(c.Thresholds.OralBPReviewYears, c.Thresholds.ZolReviewYears)
}

// stopBPSuggestion stops every active BP prescription (update to stopped),
// removes BP drafts being signed, and plans the re-evaluation after
// BP_HOLIDAY_REEVAL_YEARS.
func (c *Context) stopBPSuggestion(key string, label, reason Text, recommended bool) Suggestion {
	var actions []Action
	for _, m := range c.activeBPRequests() {
		actions = append(actions, Action{
			Type:        Update,
			Description: Text{NL: "Stop " + m.DisplayName().NL, EN: "Stop " + m.Name},
			ResourceID:  m.Source,
			Order:       &Order{Kind: OrderStopMedication, Reason: reason},
		})
	}
	for _, m := range c.bpDraftOrders() {
		actions = append(actions, Action{
			Type:        Delete,
			Description: Text{NL: "Verlenging van " + m.DisplayName().NL + " niet ondertekenen", EN: "Do not sign the renewal of " + m.Name},
			ResourceID:  m.Source,
		})
	}
	years := c.Thresholds.BPHolidayReevalYears
	actions = append(actions, Action{
		Type: Create,
		Description: Text{
			NL: "Herbeoordeling fractuurrisico over " + itoa(years) + " jaar (of eerder bij een nieuwe fractuur)",
			EN: "Fracture-risk re-evaluation in " + itoa(years) + " years (or earlier after a new fracture)",
		},
		Order: &Order{Kind: OrderFollowUp, Date: c.Facts.AsOf.AddDate(years, 0, 0), Reason: reason},
	})
	return Suggestion{Key: key, Label: label, Recommended: recommended, Actions: actions}
}

// keyReferralOsteoporosis is shared by the cards that suggest a referral to
// secondary care for osteoporosis, so the clinician sees one referral.
const keyReferralOsteoporosis = "order-referral-osteoporosis"

// referralSuggestion refers the patient to internal medicine (or
// rheumatology) for osteoporosis care.
func referralSuggestion(reason Text, recommended bool) Suggestion {
	label := Text{
		NL: "Verwijzen naar internist of reumatoloog (osteoporosepolikliniek)",
		EN: "Refer to internal medicine or rheumatology (osteoporosis clinic)",
	}
	return Suggestion{
		Key:         keyReferralOsteoporosis,
		Label:       label,
		Recommended: recommended,
		Actions: []Action{{
			Type:        Create,
			Description: label,
			Order: &Order{
				Kind:      OrderReferral,
				Specialty: Text{NL: "interne geneeskunde", EN: "internal medicine"},
				Reason:    reason,
			},
		}},
	}
}

// CiteNHGStopBP is the NHGDoc decision-support rule that flags every
// patient on a bisphosphonate for ≥ 5 years and refers at ≥ 2 new
// fractures despite > 1 year of bisphosphonate.
var CiteNHGStopBP = Citation{
	Label: "NHGDoc NHG-Standaard Fractuurpreventie: beslisregels (stoppen bisfosfonaat na 5 jaar; verwijzen bij ≥ 2 nieuwe fracturen)",
	URL:   "https://www.nhgdoc.nl/over-nhgdoc/nhg-standaarden/fractuurpreventie/",
}

// CiteASBMR2016 is the ASBMR task force report on long-term bisphosphonate
// treatment.
var CiteASBMR2016 = Citation{
	Label: "Adler RA et al. Managing osteoporosis in patients on long-term bisphosphonate treatment: ASBMR task force. J Bone Miner Res 2016",
	URL:   "https://doi.org/10.1002/jbmr.2708",
}
