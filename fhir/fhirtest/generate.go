package fhirtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// Profile is the shape of a generated patient record: how many resources
// of each kind it holds and over how many years the observations spread.
// Generate turns a Profile into a complete CDS Hooks request, so benchmarks
// and the load generator measure the service on realistic, reproducible
// data of a known size.
type Profile struct {
	// Name labels the profile in benchmark names and load-generator output.
	Name string
	// Conditions, MedicationStatements, MedicationRequests,
	// MedicationAdministrations, ServiceRequests and Observations count
	// the Bundle entries under the corresponding prefetch keys. About one
	// observation in seven is a DXA result (under dxa), the rest are labs.
	Conditions                int
	MedicationStatements      int
	MedicationRequests        int
	MedicationAdministrations int
	ServiceRequests           int
	Observations              int
	// Years is the span, ending at the evaluation moment, over which
	// observation, administration and order dates are spread.
	Years int
}

// Typical is one ordinary patient: recent labs and DXA, 10 medication
// statements and 10 conditions, 70 resources and about 60 KB of JSON (the
// body size of the ecosystem.md §9 performance anchor).
var Typical = Profile{
	Name: "typical", Conditions: 10, MedicationStatements: 10, MedicationRequests: 2,
	MedicationAdministrations: 2, ServiceRequests: 2, Observations: 43, Years: 2,
}

// Heavy is a long record: ten years of labs and DXA, 40 medication
// statements and 20 conditions, 300 resources.
var Heavy = Profile{
	Name: "heavy", Conditions: 20, MedicationStatements: 40, MedicationRequests: 5,
	MedicationAdministrations: 10, ServiceRequests: 5, Observations: 219, Years: 10,
}

// Sized returns a profile of exactly n resources (the Patient included)
// with Heavy's proportions, so that per-resource cost can be compared
// across sizes. n below 8 is raised to 8 (a Patient and one of each kind
// except observations, of which there are two).
func Sized(n int) Profile {
	if n < 8 {
		n = 8
	}
	scale := func(k int) int { return max(1, k*n/Heavy.Resources()) }
	p := Profile{
		Name:                      fmt.Sprintf("n%d", n),
		Conditions:                scale(Heavy.Conditions),
		MedicationStatements:      scale(Heavy.MedicationStatements),
		MedicationRequests:        scale(Heavy.MedicationRequests),
		MedicationAdministrations: scale(Heavy.MedicationAdministrations),
		ServiceRequests:           scale(Heavy.ServiceRequests),
		Years:                     Heavy.Years,
	}
	p.Observations = n - (p.Resources() - p.Observations)
	return p
}

// Resources is the number of resources a request of this profile holds,
// the Patient included.
func (p Profile) Resources() int {
	return 1 + p.Conditions + p.MedicationStatements + p.MedicationRequests +
		p.MedicationAdministrations + p.ServiceRequests + p.Observations
}

// obj is a JSON object under construction; encoding/json sorts its keys, so
// the output is byte-for-byte reproducible.
type obj = map[string]any

// labKind is a laboratory test the extraction understands, with a
// plausible value distribution.
type labKind struct {
	loinc, display, unit string
	mean, sd, low, high  float64
}

// labKinds are the labs of the prefetch template, with the UCUM units the
// seed cases use (fhir/units.go converts them).
var labKinds = []labKind{
	{"98979-8", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)", "mL/min/{1.73_m2}", 70, 15, 0, 0},
	{"14635-7", "25-hydroxyvitamin D3 [Moles/volume] in Serum or Plasma", "nmol/L", 60, 20, 50, 150},
	{"6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 80, 20, 40, 125},
	{"2000-8", "Calcium [Moles/volume] in Serum or Plasma", "mmol/L", 2.35, 0.1, 2.2, 2.6},
	{"1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/L", 40, 4, 35, 50},
	{"14879-1", "Phosphate [Moles/volume] in Serum or Plasma", "mmol/L", 1.1, 0.2, 0.8, 1.5},
	{"3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "m[IU]/L", 2, 1, 0.4, 4.0},
	{"14920-3", "Thyroxine (T4) free [Moles/volume] in Serum or Plasma", "pmol/L", 16, 3, 10, 23},
	{"4537-7", "Erythrocyte sedimentation rate by Westergren method", "mm/h", 15, 8, 0, 30},
}

// dxaKind is one DXA result of a scan session.
type dxaKind struct {
	loinc, display, unit, siteCode, siteDisplay string
	mean, sd                                    float64
}

// dxaKinds are the six results of one scan: BMD and T-score at the lumbar
// spine, total hip and femoral neck.
var dxaKinds = []dxaKind{
	{"24966-4", "DXA Lumbar spine [Mass/Area] Bone density", "g/cm2", "122496007", "Lumbar spine structure", 0.9, 0.1},
	{"38267-1", "DXA Lumbar spine [T-score] Bone density", "{T-score}", "122496007", "Lumbar spine structure", -1.8, 0.8},
	{"38261-4", "DXA Hip [Mass/Area] Bone density", "g/cm2", "287679003", "Structure of hip", 0.85, 0.1},
	{"38264-8", "DXA Hip [T-score] Bone density", "{T-score}", "287679003", "Structure of hip", -1.5, 0.8},
	{"24701-5", "DXA Femur [Mass/Area] Bone density", "g/cm2", "29627003", "Structure of neck of femur", 0.7, 0.1},
	{"38263-0", "DXA Femur [T-score] Bone density", "{T-score}", "29627003", "Structure of neck of femur", -2.0, 0.8},
}

// code is a coded concept with its code system.
type code struct{ system, code, display string }

const (
	sctSystem  = "http://snomed.info/sct"
	atcSystem  = "http://www.whocc.no/atc"
	loincSys   = "http://loinc.org"
	ucumSystem = "http://unitsofmeasure.org"
)

// conditionKinds mix fractures, osteoporosis and conditions the rules read
// with ones they ignore, as a real problem list does.
var conditionKinds = []code{
	{sctSystem, "38341003", "Hypertensive disorder"},
	{sctSystem, "263199001", "Fracture of distal end of radius"},
	{sctSystem, "64859006", "Osteoporosis"},
	{sctSystem, "40930008", "Hypothyroidism"},
	{sctSystem, "9014002", "Psoriasis"},
	{sctSystem, "84089009", "Hiatal hernia"},
	{sctSystem, "266569009", "Benign prostatic hyperplasia"},
	{sctSystem, "42157000", "Closed fracture of vertebral column"},
	{"http://hl7.org/fhir/sid/icd-10", "S22.3", "Fracture of rib"},
	{"urn:oid:2.16.840.1.113883.2.4.4.31.1", "R96", "Astma"},
}

// medKind is a drug with its dose and route.
type medKind struct {
	atc, display, text string
	dose               float64
	route, routeName   string
	periodUnit         string
	period             int
}

const (
	oral = "26643006"
	subq = "34206005"
)

// medKinds mix bone drugs, glucocorticoids, MTX, PPIs and unrelated drugs.
var medKinds = []medKind{
	{"M05BA04", "alendronic acid", "alendroninezuur 70 mg tablet", 70, oral, "Oral route", "wk", 1},
	{"A12AX", "calcium, combinations with vitamin D and/or other drugs", "calciumcarbonaat/colecalciferol 1,25 g/800 IE", 500, oral, "Oral route", "d", 1},
	{"A02BC01", "omeprazole", "omeprazol 20 mg capsule", 20, oral, "Oral route", "d", 1},
	{"H02AB06", "prednisolone", "prednisolon 5 mg tablet", 5, oral, "Oral route", "d", 1},
	{"L04AX03", "methotrexate", "methotrexaat 2,5 mg tablet", 15, oral, "Oral route", "wk", 1},
	{"R03BA02", "budesonide", "budesonide inhalatiepoeder 200 ug", 0.4, "18679011000001101", "Inhalation", "d", 1},
	{"C09AA02", "enalapril", "enalapril 10 mg tablet", 10, oral, "Oral route", "d", 1},
	{"C10AA05", "atorvastatin", "atorvastatine 20 mg tablet", 20, oral, "Oral route", "d", 1},
	{"H03AA01", "levothyroxine sodium", "levothyroxine 100 ug tablet", 0.1, oral, "Oral route", "d", 1},
	{"M05BX04", "denosumab", "Prolia 60 mg/1 mL oplossing voor injectie", 60, subq, "Subcutaneous route", "mo", 6},
}

// serviceKinds are the orders a chart typically holds: DXA and labs.
var serviceKinds = []code{
	{loincSys, "38268-9", "DXA Skeletal system Views for bone density"},
	{loincSys, "6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma"},
	{loincSys, "2000-8", "Calcium [Moles/volume] in Serum or Plasma"},
}

// generator holds the state of one Generate call.
type generator struct {
	rng     *rand.Rand
	asOf    time.Time
	years   int
	patient string
	seq     int
}

// Generate returns a complete patient-view request body for profile p: the
// eight prefetch keys (patient, conditions, dxa, labs, medicationStatements,
// medicationRequests, medicationAdministrations, serviceRequests) as
// searchset Bundles in the shapes of testdata/seeds, with dates relative to
// asOf. The same seed, profile and asOf give the same bytes.
func Generate(p Profile, seed uint64, asOf time.Time) []byte {
	g := &generator{
		rng:     rand.New(rand.NewPCG(seed, 0x5eed)),
		asOf:    asOf.UTC(),
		years:   max(1, p.Years),
		patient: fmt.Sprintf("gen-%s-%d", p.Name, seed),
	}
	dxaCount := p.Observations / 7
	if p.Observations > 0 && dxaCount == 0 {
		dxaCount = 1
	}
	var dxa, labs []any
	for i := range dxaCount {
		dxa = append(dxa, g.entry(g.dxa(i, dxaCount)))
	}
	for i := range p.Observations - dxaCount {
		labs = append(labs, g.entry(g.lab(i)))
	}
	var conds, stmts, reqs, admins, services []any
	for i := range p.Conditions {
		conds = append(conds, g.entry(g.condition(i)))
	}
	for i := range p.MedicationStatements {
		stmts = append(stmts, g.entry(g.statement(i)))
	}
	for i := range p.MedicationRequests {
		reqs = append(reqs, g.entry(g.request(i)))
	}
	for i := range p.MedicationAdministrations {
		admins = append(admins, g.entry(g.administration(i)))
	}
	for i := range p.ServiceRequests {
		services = append(services, g.entry(g.service(i)))
	}
	req := obj{
		"hook":         "patient-view",
		"hookInstance": g.uuid(),
		"fhirServer":   "https://ehr.example.org/fhir",
		"context": obj{
			"userId":    "Practitioner/gp-1",
			"patientId": g.patient,
		},
		"prefetch": obj{
			"patient": obj{
				"resourceType": "Patient", "id": g.patient, "active": true,
				"name":      []any{obj{"use": "official", "family": "Generated", "given": []any{"Mw."}}},
				"gender":    "female",
				"birthDate": g.asOf.AddDate(-(68 + g.rng.IntN(15)), -g.rng.IntN(12), 0).Format(time.DateOnly),
			},
			"conditions":                searchset(conds),
			"dxa":                       searchset(dxa),
			"labs":                      searchset(labs),
			"medicationStatements":      searchset(stmts),
			"medicationRequests":        searchset(reqs),
			"medicationAdministrations": searchset(admins),
			"serviceRequests":           searchset(services),
		},
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err) // only maps, slices, strings and numbers: cannot fail
	}
	return b
}

// searchset wraps entries in a searchset Bundle.
func searchset(entries []any) obj {
	b := obj{"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
	if len(entries) > 0 {
		b["entry"] = entries
	}
	return b
}

// entry wraps a resource in a searchset entry with a fullUrl.
func (g *generator) entry(r obj) obj {
	return obj{
		"fullUrl":  "https://ehr.example.org/fhir/" + r["resourceType"].(string) + "/" + r["id"].(string),
		"resource": r,
		"search":   obj{"mode": "match"},
	}
}

// id returns a new resource id.
func (g *generator) id(kind string) string {
	g.seq++
	return fmt.Sprintf("%s-%s-%d", g.patient, kind, g.seq)
}

// uuid returns a random version-4 UUID from the seeded source.
func (g *generator) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	a = a&^0xf000 | 0x4000
	b = b&^(0xc<<60) | 0x8<<60
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// daysAgo returns a date up to span days before asOf.
func (g *generator) daysAgo(span int) string {
	return g.asOf.AddDate(0, 0, -g.rng.IntN(max(1, span))).Format(time.DateOnly)
}

// value draws a normally distributed value rounded to two decimals.
func (g *generator) value(mean, sd float64) float64 {
	v := mean + sd*g.rng.NormFloat64()
	return float64(int(v*100+0.5)) / 100
}

func coding(c code) obj {
	return obj{"system": c.system, "code": c.code, "display": c.display}
}

func concept(c code, text string) obj {
	o := obj{"coding": []any{coding(c)}}
	if text != "" {
		o["text"] = text
	}
	return o
}

func quantity(v float64, unit string) obj {
	return obj{"value": v, "unit": unit, "system": ucumSystem, "code": unit}
}

func category(c, display string) []any {
	return []any{concept(code{"http://terminology.hl7.org/CodeSystem/observation-category", c, display}, "")}
}

func (g *generator) subject() obj { return obj{"reference": "Patient/" + g.patient} }

// lab returns the i-th laboratory Observation. Labs cycle through every
// kind so each test has a history; dates spread over the profile's years,
// the newest within the last months.
func (g *generator) lab(i int) obj {
	k := labKinds[i%len(labKinds)]
	o := obj{
		"resourceType":      "Observation",
		"id":                g.id("lab"),
		"status":            "final",
		"category":          category("laboratory", "Laboratory"),
		"code":              concept(code{loincSys, k.loinc, k.display}, ""),
		"subject":           g.subject(),
		"effectiveDateTime": g.daysAgo(365 * g.years),
		"valueQuantity":     quantity(max(0.01, g.value(k.mean, k.sd)), k.unit),
	}
	if i < len(labKinds) {
		o["effectiveDateTime"] = g.daysAgo(90) // a recent panel
	}
	if k.high > 0 {
		o["referenceRange"] = []any{obj{"low": quantity(k.low, k.unit), "high": quantity(k.high, k.unit)}}
	}
	return o
}

// dxa returns the i-th of n DXA results: sessions of six results, the
// newest session most recent, older ones spread over the years.
func (g *generator) dxa(i, n int) obj {
	k := dxaKinds[i%len(dxaKinds)]
	session := i / len(dxaKinds)
	sessions := (n + len(dxaKinds) - 1) / len(dxaKinds)
	daysBack := 30 + session*365*g.years/max(1, sessions)
	return obj{
		"resourceType":      "Observation",
		"id":                g.id("dxa"),
		"status":            "final",
		"category":          category("imaging", "Imaging"),
		"code":              concept(code{loincSys, k.loinc, k.display}, ""),
		"subject":           g.subject(),
		"effectiveDateTime": g.asOf.AddDate(0, 0, -daysBack).Format(time.DateOnly),
		"valueQuantity":     quantity(g.value(k.mean, k.sd), k.unit),
		"bodySite":          concept(code{sctSystem, k.siteCode, k.siteDisplay}, ""),
	}
}

// condition returns the i-th Condition.
func (g *generator) condition(i int) obj {
	k := conditionKinds[i%len(conditionKinds)]
	clinical := "active"
	if g.rng.IntN(4) == 0 {
		clinical = "resolved"
	}
	return obj{
		"resourceType":       "Condition",
		"id":                 g.id("cond"),
		"clinicalStatus":     concept(code{"http://terminology.hl7.org/CodeSystem/condition-clinical", clinical, ""}, ""),
		"verificationStatus": concept(code{"http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"}, ""),
		"category":           []any{concept(code{"http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item"}, "")},
		"code":               concept(k, k.display),
		"subject":            g.subject(),
		"onsetDateTime":      g.daysAgo(365 * (g.years + 5)),
		"recordedDate":       g.daysAgo(365 * g.years),
	}
}

// dosage returns a dosage element for k.
func dosage(k medKind) obj {
	return obj{
		"text":        k.text,
		"timing":      obj{"repeat": obj{"frequency": 1, "period": k.period, "periodUnit": k.periodUnit}},
		"route":       concept(code{sctSystem, k.route, k.routeName}, ""),
		"doseAndRate": []any{obj{"doseQuantity": quantity(k.dose, "mg")}},
	}
}

// statement returns the i-th MedicationStatement: an episode with a start
// and, for about a third, an end.
func (g *generator) statement(i int) obj {
	k := medKinds[i%len(medKinds)]
	start := g.asOf.AddDate(0, 0, -30-g.rng.IntN(365*g.years))
	period := obj{"start": start.Format(time.DateOnly)}
	status := "active"
	if g.rng.IntN(3) == 0 {
		end := start.AddDate(0, 0, 30+g.rng.IntN(365))
		if end.After(g.asOf) {
			end = g.asOf
		}
		period["end"] = end.Format(time.DateOnly)
		status = "completed"
	}
	return obj{
		"resourceType":              "MedicationStatement",
		"id":                        g.id("ms"),
		"status":                    status,
		"medicationCodeableConcept": concept(code{atcSystem, k.atc, k.display}, k.text),
		"subject":                   g.subject(),
		"effectivePeriod":           period,
		"dateAsserted":              g.asOf.Format(time.DateOnly),
		"dosage":                    []any{dosage(k)},
	}
}

// request returns the i-th (completed) MedicationRequest.
func (g *generator) request(i int) obj {
	k := medKinds[(i+2)%len(medKinds)]
	return obj{
		"resourceType":              "MedicationRequest",
		"id":                        g.id("mr"),
		"status":                    "completed",
		"intent":                    "order",
		"medicationCodeableConcept": concept(code{atcSystem, k.atc, k.display}, k.text),
		"subject":                   g.subject(),
		"authoredOn":                g.daysAgo(365 * g.years),
		"requester":                 obj{"reference": "Practitioner/gp-1"},
		"dosageInstruction":         []any{dosage(k)},
	}
}

// administration returns the i-th MedicationAdministration: denosumab
// doses every six months, newest first.
func (g *generator) administration(i int) obj {
	return obj{
		"resourceType": "MedicationAdministration",
		"id":           g.id("ma"),
		"status":       "completed",
		"medicationCodeableConcept": concept(code{atcSystem, "M05BX04", "denosumab"},
			"Prolia 60 mg/1 mL oplossing voor injectie (denosumab)"),
		"subject":           g.subject(),
		"effectiveDateTime": g.asOf.AddDate(0, -2-6*i, 0).Format(time.DateOnly),
		"dosage": obj{
			"text":  "60 mg subcutaan",
			"route": concept(code{sctSystem, subq, "Subcutaneous route"}, ""),
			"dose":  quantity(60, "mg"),
		},
	}
}

// service returns the i-th (completed) ServiceRequest.
func (g *generator) service(i int) obj {
	k := serviceKinds[i%len(serviceKinds)]
	return obj{
		"resourceType": "ServiceRequest",
		"id":           g.id("sr"),
		"status":       "completed",
		"intent":       "order",
		"code":         concept(k, ""),
		"subject":      g.subject(),
		"authoredOn":   g.daysAgo(365 * g.years),
	}
}
