package fhir

// FHIR R4 resources for the orders cards suggest (terminology.md §8;
// cds-hooks.md §I: a create action carries a complete resource, an update
// the whole resource). They are built from small local structs with
// omitempty, never from samply types: samply marshals both variants of
// medication[x] and writes required-but-empty fields as {} (ecosystem.md
// §2). Resources carry no id; the EHR assigns one when it applies the
// action. The output is deterministic for a given Order, patient and now.
//
// Text language: the resources land in a Dutch record, so every text is
// Dutch followed by the English in parentheses ("met VFA (with vertebral
// fracture assessment)"), or the one language given when the other is
// empty or the same.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fracturecds/fracturecds/rules"
)

// errOrder marks an Order that cannot become a resource: a programming
// error in a rule.
var errOrder = errors.New("cannot build order resource")

type outCoding struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type outConcept struct {
	Coding []outCoding `json:"coding,omitempty"`
	Text   string      `json:"text,omitempty"`
}

type outReference struct {
	Reference string `json:"reference"`
}

type outQuantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	System string  `json:"system"`
	Code   string  `json:"code"`
}

type outServiceRequest struct {
	ResourceType       string       `json:"resourceType"`
	Status             string       `json:"status"`
	Intent             string       `json:"intent"`
	Category           []outConcept `json:"category,omitempty"`
	Code               outConcept   `json:"code"`
	OrderDetail        []outConcept `json:"orderDetail,omitempty"`
	Subject            outReference `json:"subject"`
	OccurrenceDateTime string       `json:"occurrenceDateTime,omitempty"`
	AuthoredOn         string       `json:"authoredOn"`
	PerformerType      *outConcept  `json:"performerType,omitempty"`
	ReasonCode         []outConcept `json:"reasonCode,omitempty"`
}

type outPeriod struct {
	Start string `json:"start"`
}

type outTimingRepeat struct {
	BoundsPeriod *outPeriod `json:"boundsPeriod,omitempty"`
	Count        int        `json:"count,omitempty"`
	Frequency    int        `json:"frequency,omitempty"`
	Period       float64    `json:"period,omitempty"`
	PeriodUnit   string     `json:"periodUnit,omitempty"`
}

type outTiming struct {
	Event  []string         `json:"event,omitempty"`
	Repeat *outTimingRepeat `json:"repeat,omitempty"`
}

type outDoseAndRate struct {
	DoseQuantity outQuantity `json:"doseQuantity"`
}

type outDosage struct {
	Text        string           `json:"text"`
	Timing      outTiming        `json:"timing"`
	Route       outConcept       `json:"route"`
	DoseAndRate []outDoseAndRate `json:"doseAndRate"`
}

type outMedicationRequest struct {
	ResourceType              string       `json:"resourceType"`
	Status                    string       `json:"status"`
	Intent                    string       `json:"intent"`
	MedicationCodeableConcept outConcept   `json:"medicationCodeableConcept"`
	Subject                   outReference `json:"subject"`
	AuthoredOn                string       `json:"authoredOn"`
	ReasonCode                []outConcept `json:"reasonCode,omitempty"`
	DosageInstruction         []outDosage  `json:"dosageInstruction"`
}

// ServiceRequest categories from the FHIR R4 example value set
// servicerequest-category (SNOMED CT; ~, the same codes in several IGs).
var (
	categoryImaging    = outConcept{Coding: []outCoding{{System: SystemSNOMED, Code: "363679005", Display: "Imaging"}}}
	categoryLaboratory = outConcept{Coding: []outCoding{{System: SystemSNOMED, Code: "108252007", Display: "Laboratory procedure"}}}
)

// codeReferral is SNOMED CT 3457005 "Patient referral" (~: used with this
// display as referral code or category in several FHIR projects; not
// checked against a SNOMED release).
var codeReferral = outCoding{System: SystemSNOMED, Code: "3457005", Display: "Patient referral"}

// routeCodings are the SNOMED CT routes of the drugs we order (see
// snomedRoutes for their evidence).
var routeCodings = map[string]outCoding{
	routeOral:         {System: SystemSNOMED, Code: "26643006", Display: "Oral route"},
	routeIntravenous:  {System: SystemSNOMED, Code: "47625008", Display: "Intravenous route"},
	routeSubcutaneous: {System: SystemSNOMED, Code: "34206005", Display: "Subcutaneous route"},
}

// labOrder is the LOINC code ordered for an analyte. Displays are the LOINC
// long names as given in terminology.md §3. An entry without a code is
// ordered by text only; text overrides the analyte's display name.
type labOrder struct {
	code, display string
	text          rules.Text
}

// labOrders maps each analyte to the NL-typical order code: molar units
// where Dutch labs report molar (creatinine µmol/L, calcium mmol/L, ...).
// For 25-OH vitamin D the code is 14635-7 (D3, nmol/L): Dutch labs report
// nmol/L, and the D2+D3 molar code 68438-1 has an UNVERIFIED property
// (terminology.md §3.3); the lab maps it to its own test either way.
var labOrders = map[rules.Analyte]labOrder{
	rules.AnalyteEGFR:               {code: "98979-8", display: "Glomerular filtration rate [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)/1.73 sq M"},
	rules.AnalyteCrClCockcroftGault: {code: "35591-7"},
	rules.AnalyteCreatinine:         {code: "14682-9", display: "Creatinine [Moles/volume] in Serum or Plasma"},
	rules.AnalyteVitaminD:           {code: "14635-7", display: "25-hydroxyvitamin D3 [Moles/volume] in Serum or Plasma"},
	rules.AnalyteALP:                {code: "6768-6", display: "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma"},
	rules.AnalyteCalcium:            {code: "2000-8", display: "Calcium [Moles/volume] in Serum or Plasma"},
	rules.AnalyteCalciumCorrected:   {code: "29265-6", display: "Calcium [Moles/volume] corrected for albumin in Serum or Plasma"},
	rules.AnalyteAlbumin:            {code: "1751-7", display: "Albumin [Mass/volume] in Serum or Plasma"},
	rules.AnalytePhosphate:          {code: "14879-1", display: "Phosphate [Moles/volume] in Serum or Plasma"},
	rules.AnalyteTSH:                {code: "3016-3", display: "Thyrotropin [Units/volume] in Serum or Plasma"},
	rules.AnalyteFT4:                {code: "14920-3", display: "Thyroxine (T4) free [Moles/volume] in Serum or Plasma"},
	rules.AnalyteESR:                {code: "4537-7", display: "Erythrocyte sedimentation rate by Westergren method"},
	rules.AnalyteTestosterone:       {code: "2986-8", display: "Testosterone [Mass/volume] in Serum or Plasma"},
	// No LOINC code for serum protein electrophoresis was verified
	// (terminology.md §3.10): ordered by text, the lab picks its test.
	rules.AnalyteMProtein: {text: rules.Text{NL: "eiwitspectrum (M-proteïne)", EN: "serum protein electrophoresis (M-protein)"}},
}

// drugOrder is a product the cards order, with its fixed dose.
type drugOrder struct {
	codings    []outCoding
	name       rules.Text
	dosageText rules.Text
	route      string
	dose       outQuantity
	// repeat is nil for a single dose.
	repeat *outTimingRepeat
}

func ucumMg(v float64) outQuantity {
	return outQuantity{Value: v, Unit: "mg", System: SystemUCUM, Code: "mg"}
}

func atcCoding(code, display string) outCoding {
	return outCoding{System: SystemATC, Code: code, Display: display}
}

func rxNormCoding(code, display string) outCoding {
	return outCoding{System: SystemRxNorm, Code: code, Display: display}
}

// Repeats of the weekly and daily drugs; medication() copies them.
var (
	weekly = &outTimingRepeat{Frequency: 1, Period: 1, PeriodUnit: "wk"}
	daily  = &outTimingRepeat{Frequency: 1, Period: 1, PeriodUnit: "d"}
)

// drugOrders holds the orderable products. ATC codes are ~ (terminology.md
// §4.1); an RxNorm ingredient is added only where §4.2 marks it ✓
// (alendronate 46041, zoledronic acid 77655), not for the ~ ones
// (denosumab, risedronate). NL sites add the G-Standaard code locally.
var drugOrders = map[rules.Drug]drugOrder{
	rules.DrugOrderZoledronicAcid5mg: {
		codings:    []outCoding{atcCoding("M05BA08", "zoledronic acid"), rxNormCoding("77655", "zoledronic acid")},
		name:       rules.Text{NL: "zoledroninezuur 5 mg infusie", EN: "zoledronic acid 5 mg infusion"},
		dosageText: rules.Text{NL: "5 mg intraveneus, eenmalig", EN: "5 mg intravenously, once"},
		route:      routeIntravenous,
		dose:       ucumMg(5),
	},
	rules.DrugOrderDenosumab60mg: {
		codings:    []outCoding{atcCoding("M05BX04", "denosumab")},
		name:       rules.Text{NL: "denosumab 60 mg injectie", EN: "denosumab 60 mg injection"},
		dosageText: rules.Text{NL: "60 mg subcutaan, eenmalig", EN: "60 mg subcutaneously, once"},
		route:      routeSubcutaneous,
		dose:       ucumMg(60),
	},
	rules.DrugOrderAlendronate70mg: {
		codings:    []outCoding{atcCoding("M05BA04", "alendronic acid"), rxNormCoding("46041", "alendronate")},
		name:       rules.Text{NL: "alendroninezuur 70 mg tablet", EN: "alendronic acid 70 mg tablet"},
		dosageText: rules.Text{NL: "70 mg oraal, 1 keer per week", EN: "70 mg orally, once weekly"},
		route:      routeOral,
		dose:       ucumMg(70),
		repeat:     weekly,
	},
	rules.DrugOrderRisedronate35mg: {
		codings:    []outCoding{atcCoding("M05BA07", "risedronic acid")},
		name:       rules.Text{NL: "risedroninezuur 35 mg tablet", EN: "risedronic acid 35 mg tablet"},
		dosageText: rules.Text{NL: "35 mg oraal, 1 keer per week", EN: "35 mg orally, once weekly"},
		route:      routeOral,
		dose:       ucumMg(35),
		repeat:     weekly,
	},
	// Dose UNVERIFIED (800 IE = 20 µg daily, the usual NL dose for
	// osteoporosis): confirm locally before go-live.
	rules.DrugOrderColecalciferol: {
		codings:    []outCoding{atcCoding("A11CC05", "colecalciferol")},
		name:       rules.Text{NL: "colecalciferol 800 IE", EN: "colecalciferol 800 IU"},
		dosageText: rules.Text{NL: "800 IE (20 microgram) oraal, 1 keer per dag", EN: "800 IU (20 micrograms) orally, once daily"},
		route:      routeOral,
		dose:       outQuantity{Value: 800, Unit: "IU", System: SystemUCUM, Code: "[iU]"},
		repeat:     daily,
	},
	// Dose UNVERIFIED (one combination tablet daily; the calcium content
	// per tablet depends on the product): confirm locally before go-live.
	rules.DrugOrderCalciumVitD: {
		codings:    []outCoding{atcCoding("A12AX", "calcium, combinations with vitamin D and/or other drugs")},
		name:       rules.Text{NL: "calcium/colecalciferol", EN: "calcium/colecalciferol"},
		dosageText: rules.Text{NL: "1 tablet oraal, 1 keer per dag", EN: "1 tablet orally, once daily"},
		route:      routeOral,
		dose:       outQuantity{Value: 1, Unit: "tablet", System: SystemUCUM, Code: "{tbl}"},
		repeat:     daily,
	},
}

// OrderResources returns the FHIR R4 resources that carry out o for the
// patient patientID (a bare id), authored at now: one ServiceRequest for
// DXA, a referral or a follow-up, one ServiceRequest per analyte for a lab
// panel, one MedicationRequest for a medication. Each is complete, has
// status draft and intent order, and no id. An OrderStopMedication is not
// a new resource: use StopResource.
func OrderResources(o rules.Order, patientID string, now time.Time) ([]json.RawMessage, error) {
	if strings.TrimSpace(patientID) == "" {
		return nil, fmt.Errorf("%s order: no patient id: %w", o.Kind, errOrder)
	}
	if now.IsZero() {
		return nil, fmt.Errorf("%s order: no authoring time: %w", o.Kind, errOrder)
	}
	b := orderBuilder{
		subject:    outReference{Reference: "Patient/" + patientID},
		authoredOn: now.Format(time.RFC3339),
		today:      fhirDate(now),
		reasons:    reasonCodes(o.Reason),
	}
	var resources []any
	switch o.Kind {
	case rules.OrderDXA:
		resources = []any{b.dxa(o)}
	case rules.OrderLabPanel:
		labs, err := b.labs(o.Analytes)
		if err != nil {
			return nil, err
		}
		resources = labs
	case rules.OrderMedication:
		mr, err := b.medication(o)
		if err != nil {
			return nil, err
		}
		resources = []any{mr}
	case rules.OrderReferral:
		resources = []any{b.referral(o)}
	case rules.OrderFollowUp:
		resources = []any{b.followUp(o)}
	default:
		return nil, fmt.Errorf("order kind %q: %w", o.Kind, errOrder)
	}
	out := make([]json.RawMessage, 0, len(resources))
	for _, r := range resources {
		raw, err := marshalResource(r)
		if err != nil {
			return nil, fmt.Errorf("%s order: %w", o.Kind, err)
		}
		out = append(out, raw)
	}
	return out, nil
}

// orderBuilder holds what every resource of one order shares.
type orderBuilder struct {
	subject    outReference
	authoredOn string
	today      string
	reasons    []outConcept
}

func (b orderBuilder) newServiceRequest(code outConcept) outServiceRequest {
	return outServiceRequest{
		ResourceType: "ServiceRequest",
		Status:       "draft",
		Intent:       "order",
		Code:         code,
		Subject:      b.subject,
		AuthoredOn:   b.authoredOn,
		ReasonCode:   b.reasons,
	}
}

func (b orderBuilder) dxa(o rules.Order) outServiceRequest {
	sr := b.newServiceRequest(outConcept{
		Coding: []outCoding{{System: SystemLOINC, Code: LOINCDXAOrder, Display: "DXA Skeletal system Views for bone density"}},
		Text:   bilingual(rules.Text{NL: "DXA-scan", EN: "DXA scan"}),
	})
	sr.Category = []outConcept{categoryImaging}
	if o.WithVFA {
		// No code for VFA was found (terminology.md §8): text only.
		sr.OrderDetail = []outConcept{{Text: bilingual(rules.Text{NL: "met VFA", EN: "with vertebral fracture assessment"})}}
	}
	if !o.Date.IsZero() {
		sr.OccurrenceDateTime = fhirDate(o.Date)
	}
	return sr
}

func (b orderBuilder) labs(analytes []rules.Analyte) ([]any, error) {
	if len(analytes) == 0 {
		return nil, fmt.Errorf("lab panel without analytes: %w", errOrder)
	}
	seen := map[rules.Analyte]bool{}
	var out []any
	for _, a := range analytes {
		if seen[a] {
			continue
		}
		seen[a] = true
		lab, ok := labOrders[a]
		if !ok {
			return nil, fmt.Errorf("lab panel: analyte %q has no order code: %w", a, errOrder)
		}
		code := outConcept{Text: bilingual(analyteName(a))}
		if lab.text != (rules.Text{}) {
			code.Text = bilingual(lab.text)
		}
		if lab.code != "" {
			code.Coding = []outCoding{{System: SystemLOINC, Code: lab.code, Display: lab.display}}
		}
		sr := b.newServiceRequest(code)
		sr.Category = []outConcept{categoryLaboratory}
		out = append(out, sr)
	}
	return out, nil
}

func (b orderBuilder) medication(o rules.Order) (outMedicationRequest, error) {
	d, ok := drugOrders[o.Drug]
	if !ok {
		return outMedicationRequest{}, fmt.Errorf("medication order: drug %q unknown: %w", o.Drug, errOrder)
	}
	tm := outTiming{}
	if d.repeat == nil {
		tm.Repeat = &outTimingRepeat{Count: 1}
		if !o.Date.IsZero() {
			tm.Event = []string{fhirDate(o.Date)}
		}
	} else {
		r := *d.repeat
		if !o.Date.IsZero() {
			r.BoundsPeriod = &outPeriod{Start: fhirDate(o.Date)}
		}
		tm.Repeat = &r
	}
	return outMedicationRequest{
		ResourceType: "MedicationRequest",
		Status:       "draft",
		Intent:       "order",
		MedicationCodeableConcept: outConcept{
			Coding: append([]outCoding(nil), d.codings...),
			Text:   bilingual(d.name),
		},
		Subject:    b.subject,
		AuthoredOn: b.authoredOn,
		ReasonCode: b.reasons,
		DosageInstruction: []outDosage{{
			Text:        bilingual(d.dosageText),
			Timing:      tm,
			Route:       outConcept{Coding: []outCoding{routeCodings[d.route]}},
			DoseAndRate: []outDoseAndRate{{DoseQuantity: d.dose}},
		}},
	}, nil
}

func (b orderBuilder) referral(o rules.Order) outServiceRequest {
	text := rules.Text{NL: "Verwijzing", EN: "referral"}
	if s := strings.TrimSpace(o.Specialty.NL); s != "" {
		text.NL = "Verwijzing " + s
	}
	if s := strings.TrimSpace(o.Specialty.EN); s != "" {
		text.EN = "referral to " + s
	}
	sr := b.newServiceRequest(outConcept{Coding: []outCoding{codeReferral}, Text: bilingual(text)})
	if s := bilingual(o.Specialty); s != "" {
		sr.PerformerType = &outConcept{Text: s}
	}
	return sr
}

func (b orderBuilder) followUp(o rules.Order) outServiceRequest {
	// No verified code for a fracture-risk follow-up: text only.
	sr := b.newServiceRequest(outConcept{Text: bilingual(rules.Text{NL: "Herbeoordeling fractuurrisico", EN: "fracture risk re-evaluation"})})
	sr.OccurrenceDateTime = b.today
	if !o.Date.IsZero() {
		sr.OccurrenceDateTime = fhirDate(o.Date)
	}
	return sr
}

// reasonCodes is the order's reason as reasonCode text, nil when empty.
func reasonCodes(reason rules.Text) []outConcept {
	if s := bilingual(reason); s != "" {
		return []outConcept{{Text: s}}
	}
	return nil
}

// bilingual renders "NL (EN)", or the one text present, or "".
func bilingual(t rules.Text) string {
	nl, en := strings.TrimSpace(t.NL), strings.TrimSpace(t.EN)
	switch {
	case nl == "":
		return en
	case en == "" || strings.EqualFold(nl, en):
		return nl
	}
	return nl + " (" + en + ")"
}

// fhirDate formats a FHIR date (a valid dateTime too) in t's own zone.
func fhirDate(t time.Time) string { return t.Format("2006-01-02") }

// marshalResource encodes without HTML escaping, so "<" in a text stays
// readable in the EHR.
func marshalResource(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode resource: %w", err)
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// StopResource returns the MedicationRequest raw (as received from the
// EHR) with status "stopped", for an update action (cds-hooks.md §I: an
// update carries the whole resource). Every other field is kept, including
// ones this service does not know, except members whose value is JSON
// null (invalid in FHIR JSON). now is not written into the resource: R4
// MedicationRequest has no stop-date element, and the EHR records when the
// update was applied.
func StopResource(raw json.RawMessage, now time.Time) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers such as 2.50 exactly as sent
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("stop medication: decode resource: %w", err)
	}
	if res == nil {
		return nil, fmt.Errorf("stop medication: resource is null: %w", errOrder)
	}
	if rt, _ := res["resourceType"].(string); rt != "MedicationRequest" {
		return nil, fmt.Errorf("stop medication: resourceType %q is not MedicationRequest: %w", rt, errOrder)
	}
	if id, _ := res["id"].(string); strings.TrimSpace(id) == "" {
		return nil, fmt.Errorf("stop medication: MedicationRequest without id: %w", errOrder)
	}
	res["status"] = "stopped"
	// The narrative described the active order; a stale "active" text next
	// to status stopped would mislead whoever reads it, so it goes. The EHR
	// regenerates narrative on write.
	delete(res, "text")
	prune(res)
	return marshalResource(res)
}

// prune returns v without null, "", [] and {} members at any depth (CDS
// Hooks and FHIR JSON both forbid them), repeating upwards so an object
// emptied by the pruning goes too; empty reports whether nothing is left.
// Nulls inside arrays are kept: FHIR JSON uses them to align a primitive
// array with its "_element" extensions.
func prune(v any) (out any, empty bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		return x, x == ""
	case map[string]any:
		for k, e := range x {
			pe, isEmpty := prune(e)
			if isEmpty {
				delete(x, k)
				continue
			}
			x[k] = pe
		}
		return x, len(x) == 0
	case []any:
		kept := make([]any, 0, len(x))
		for _, e := range x {
			if e == nil {
				kept = append(kept, nil)
				continue
			}
			if pe, isEmpty := prune(e); !isEmpty {
				kept = append(kept, pe)
			}
		}
		allNull := true
		for _, e := range kept {
			if e != nil {
				allNull = false
			}
		}
		return kept, allNull
	}
	return v, false
}
