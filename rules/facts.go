package rules

import (
	"time"
)

// Hook is the CDS Hooks hook a request was made on. Rules use it to decide
// whether they apply (for example, draft-order checks only run at
// order-select and order-sign).
type Hook string

// The hooks fracturecds serves.
const (
	PatientView Hook = "patient-view"
	OrderSelect Hook = "order-select"
	OrderSign   Hook = "order-sign"
)

// Facts is everything the rules know about one patient at one moment. The
// fhir package builds it from FHIR resources; tests build it as a literal.
// Slices are in no particular order; rules must not depend on their order.
type Facts struct {
	// AsOf is the evaluation moment T (the time of the hook call). Ages,
	// recency windows and exposure are computed relative to it.
	AsOf time.Time
	// Hook is the hook being evaluated.
	Hook Hook

	Patient      Patient
	Conditions   []Condition
	Labs         []Lab
	DXA          []DXAMeasurement
	Medications  []MedicationRecord
	ServiceOrder []ServiceOrder
	Falls        []FallRecord
	// Lifestyle holds the lifestyle risk factors recorded as numbers
	// (smoking, alcohol, dietary calcium), newest first not guaranteed.
	Lifestyle []LifestyleRecord
	// Gaps are data items the fhir package could not turn into facts (an
	// unconvertible unit, a DXA result without a site). They feed the
	// insufficient-data card; they are never read as "normal".
	Gaps []Gap
}

// Ref points at the FHIR resource a fact came from, as "Type/id" (for
// example "Observation/egfr-1"), so cards can show their evidence.
type Ref string

// Patient holds the demographics the rules need.
type Patient struct {
	// ID is the FHIR Patient.id (a bare id, without "Patient/").
	ID string
	// BirthDate is zero when unknown. Partial dates (year or year-month) are
	// completed to the first day of the period by the fhir package.
	BirthDate time.Time
	// Gender is the FHIR administrative gender: male, female, other, unknown.
	Gender string
}

// HasBirthDate reports whether the birth date is known.
func (p Patient) HasBirthDate() bool { return !p.BirthDate.IsZero() }

// AgeAt returns the age in completed years at t; ok is false when the birth
// date is unknown.
func (p Patient) AgeAt(t time.Time) (years int, ok bool) {
	if !p.HasBirthDate() {
		return 0, false
	}
	years = t.Year() - p.BirthDate.Year()
	if t.Month() < p.BirthDate.Month() || (t.Month() == p.BirthDate.Month() && t.Day() < p.BirthDate.Day()) {
		years--
	}
	return years, true
}

// Concept is a clinical meaning that the fhir package assigns to a coded
// Condition (or VFA finding) from any supported code system.
type Concept string

// Condition concepts. A Condition can carry several (a vertebral fracture is
// also a fracture).
const (
	// ConceptFracture is a fracture at a site included for case finding
	// (NIV 2022 list: FRACTURE_INCLUDED minus FRACTURE_EXCLUDED).
	ConceptFracture Concept = "fracture"
	// ConceptFractureExcluded is a fracture that does not count for case
	// finding: skull/face, cervical spine, fingers, toes, pathological due to
	// neoplasm, high-energy trauma.
	ConceptFractureExcluded Concept = "fracture-excluded"
	// ConceptVertebralFracture is a (thoracic or lumbar) vertebral fracture
	// or osteoporotic vertebral collapse.
	ConceptVertebralFracture Concept = "vertebral-fracture"
	// ConceptHipFracture is a fracture of the hip or femoral neck.
	ConceptHipFracture Concept = "hip-fracture"
	// ConceptMTXTypicalSite marks fracture sites typical for methotrexate
	// osteopathy (tibia, foot, calcaneus, metatarsal, metacarpal).
	ConceptMTXTypicalSite Concept = "mtx-typical-site"
	// ConceptStressFracture is a stress or insufficiency fracture.
	ConceptStressFracture Concept = "stress-fracture"
	// ConceptBonePain is documented (mechanical) bone pain.
	ConceptBonePain Concept = "bone-pain"
	// ConceptOsteoporosis is a recorded diagnosis of osteoporosis.
	ConceptOsteoporosis Concept = "osteoporosis"
	// ConceptOesophagealDisorder is an oesophageal disorder that delays
	// transit (stricture, achalasia, Barrett).
	ConceptOesophagealDisorder Concept = "oesophageal-disorder"
	// ConceptHiatalHernia is a hiatal hernia or reflux disease.
	ConceptHiatalHernia Concept = "hiatal-hernia"
	// ConceptHypothyroidism is hypothyroidism (relevant for TSH flags).
	ConceptHypothyroidism Concept = "hypothyroidism"
	// ConceptFall is a recorded fall.
	ConceptFall Concept = "fall"
)

// Condition is a coded problem, diagnosis or finding.
type Condition struct {
	Source   Ref
	Concepts []Concept
	// Code is the matched coding for display, e.g. "SNOMED CT 31978002".
	Code string
	// Onset is Condition.onset[x], else recordedDate; zero when unknown.
	Onset time.Time
	// RecordedOnly marks an Onset that is only the recordedDate: the day
	// the finding was written down (e.g. a deformity seen on VFA), not the
	// day the fracture happened. Rules that count fractures "since the start
	// of treatment" must not count it (NHGDoc "≥ 2 nieuwe fracturen").
	RecordedOnly bool
	// Active is false for clinicalStatus inactive/resolved/remission.
	Active bool
	// LowConfidence marks codes whose site is uncertain (ICPC L74 can be a
	// finger or toe): the card asks the clinician to verify the site.
	LowConfidence bool
	// GenantGrade is the VFA Genant grade of a vertebral deformity (1–3), or
	// 0 when not graded.
	GenantGrade int
	// Display is the record's own wording (code.text), e.g. "Fractuur
	// distale tibia links"; empty when the record has none.
	Display string
}

// OnsetKnown reports whether the condition has a real onset date
// (onsetDateTime or onsetPeriod.start), not just a recording date.
func (c Condition) OnsetKnown() bool { return !c.Onset.IsZero() && !c.RecordedOnly }

// Has reports whether the condition carries concept c.
func (c Condition) Has(concept Concept) bool {
	for _, x := range c.Concepts {
		if x == concept {
			return true
		}
	}
	return false
}

// Analyte is a laboratory quantity the rules read, in one canonical unit.
type Analyte string

// Analytes and their canonical units (terminology.md §6).
const (
	AnalyteEGFR               Analyte = "egfr"                 // mL/min/1.73m2
	AnalyteCrClCockcroftGault Analyte = "crcl-cockcroft-gault" // mL/min
	AnalyteCreatinine         Analyte = "creatinine"           // umol/L
	AnalyteVitaminD           Analyte = "25-oh-vitamin-d"      // nmol/L
	AnalyteALP                Analyte = "alkaline-phosphatase" // U/L
	AnalyteCalcium            Analyte = "calcium"              // mmol/L
	AnalyteCalciumCorrected   Analyte = "calcium-corrected"    // mmol/L
	AnalyteAlbumin            Analyte = "albumin"              // g/L
	AnalytePhosphate          Analyte = "phosphate"            // mmol/L
	AnalyteTSH                Analyte = "tsh"                  // mU/L
	AnalyteFT4                Analyte = "free-t4"              // pmol/L
	AnalyteESR                Analyte = "esr"                  // mm/h
	AnalyteTestosterone       Analyte = "testosterone"         // nmol/L
)

// CanonicalUnit returns the unit every Lab of analyte a is expressed in.
func (a Analyte) CanonicalUnit() string {
	switch a {
	case AnalyteEGFR:
		return "mL/min/1.73m2"
	case AnalyteCrClCockcroftGault:
		return "mL/min"
	case AnalyteCreatinine:
		return "umol/L"
	case AnalyteVitaminD, AnalyteTestosterone:
		return "nmol/L"
	case AnalyteALP:
		return "U/L"
	case AnalyteCalcium, AnalyteCalciumCorrected, AnalytePhosphate:
		return "mmol/L"
	case AnalyteAlbumin:
		return "g/L"
	case AnalyteTSH:
		return "mU/L"
	case AnalyteFT4:
		return "pmol/L"
	case AnalyteESR:
		return "mm/h"
	}
	return ""
}

// Comparator is FHIR Quantity.comparator: a result reported as ">60" has
// Value 60 and Comparator ">".
type Comparator string

// The FHIR quantity comparators.
const (
	Exact       Comparator = ""
	LessThan    Comparator = "<"
	LessOrEqual Comparator = "<="
	MoreThan    Comparator = ">"
	MoreOrEqual Comparator = ">="
)

// Lab is one laboratory result, already converted to its analyte's
// canonical unit. Results with an unconvertible unit never become a Lab;
// they become a Gap.
type Lab struct {
	Source     Ref
	Analyte    Analyte
	Value      float64
	Comparator Comparator
	Date       time.Time
	// Code is the matched coding for display, e.g. "LOINC 98979-8".
	Code string
	// RefLow and RefHigh are the lab's own reference range in the canonical
	// unit, when the Observation carried one.
	RefLow, RefHigh *float64
	// OriginalValue and OriginalUnit are what the EHR sent, for display when
	// a conversion was applied (e.g. 12 ng/mL shown next to 29.95 nmol/L).
	OriginalValue float64
	OriginalUnit  string
}

// Site is a DXA measurement site.
type Site string

// DXA sites the rules use.
const (
	SiteLumbarSpine Site = "lumbar-spine"
	SiteTotalHip    Site = "total-hip"
	SiteFemoralNeck Site = "femoral-neck"
	SiteForearm     Site = "forearm"
	SiteOther       Site = "other"
)

// Measure is what a DXA number means.
type Measure string

// DXA measures.
const (
	TScore Measure = "t-score"
	ZScore Measure = "z-score"
	BMD    Measure = "bmd" // g/cm2
	// BMDChangePct is a report-supplied percentage change since the previous
	// measurement at the same site (used only when no previous BMD exists).
	BMDChangePct Measure = "bmd-change-pct"
)

// DXAMeasurement is one number from a DXA report.
type DXAMeasurement struct {
	Source  Ref
	Site    Site
	Measure Measure
	Value   float64
	Date    time.Time
	Code    string
	// Laterality is "left", "right" or "" when not given.
	Laterality string
}

// DrugClass is a pharmacological group the rules reason about. The fhir
// package assigns classes from ATC (by prefix), RxNorm and local codes.
type DrugClass string

// Drug classes (terminology.md §11). A record can carry several: alendronate
// is both DrugBisphosphonate and DrugBisphosphonateOral and DrugAlendronate.
const (
	DrugBisphosphonate         DrugClass = "bisphosphonate"
	DrugBisphosphonateOral     DrugClass = "bisphosphonate-oral"
	DrugBisphosphonateIV       DrugClass = "bisphosphonate-iv"
	DrugAlendronate            DrugClass = "alendronate"
	DrugRisedronate            DrugClass = "risedronate"
	DrugZoledronicAcid         DrugClass = "zoledronic-acid"
	DrugDenosumab              DrugClass = "denosumab"
	DrugTeriparatide           DrugClass = "teriparatide"
	DrugRomosozumab            DrugClass = "romosozumab"
	DrugSERM                   DrugClass = "serm"
	DrugStrontium              DrugClass = "strontium"
	DrugMethotrexate           DrugClass = "methotrexate"
	DrugGlucocorticoidSystemic DrugClass = "glucocorticoid-systemic"
	DrugGlucocorticoidLocal    DrugClass = "glucocorticoid-local"
	DrugAromataseInhibitor     DrugClass = "aromatase-inhibitor"
	DrugThiazolidinedione      DrugClass = "thiazolidinedione"
	DrugBarbiturate            DrugClass = "barbiturate"
	DrugBenzodiazepine         DrugClass = "benzodiazepine"
	DrugAntiepileptic          DrugClass = "antiepileptic"
	DrugPPI                    DrugClass = "proton-pump-inhibitor"
	DrugCalcium                DrugClass = "calcium"
	DrugVitaminD               DrugClass = "vitamin-d"
	DrugLevothyroxine          DrugClass = "levothyroxine"
)

// RecordKind says which FHIR resource a medication record came from; it
// decides how strongly a date means "a dose was given".
type RecordKind string

// Medication record kinds.
const (
	KindStatement      RecordKind = "statement"
	KindRequest        RecordKind = "request"
	KindAdministration RecordKind = "administration"
	// KindDraftOrder is a MedicationRequest from context.draftOrders.
	KindDraftOrder RecordKind = "draft-order"
)

// MedicationRecord is one MedicationStatement, MedicationRequest,
// MedicationAdministration or draft order, reduced to what rules need.
type MedicationRecord struct {
	Source  Ref
	Kind    RecordKind
	Classes []DrugClass
	// Code is the matched coding for display, e.g. "ATC M05BA04".
	Code string
	// Name is the ingredient name in English as known from the code tables
	// (never free text from the EHR), e.g. "alendronic acid".
	Name string
	// NameNL is the Dutch ingredient name from the same code tables, e.g.
	// "alendroninezuur"; "" when unknown (a local code names only Name).
	// Card text uses DisplayName.
	NameNL string
	// Status is the FHIR status code as sent (active, completed, stopped,
	// on-hold, cancelled, draft, not-taken, intended, ...).
	Status string
	// Start is the first day of use or the dose date; End is the last day of
	// use when known (zero means open-ended or unknown).
	Start, End time.Time
	// SingleDose marks a record of one dose (a MedicationAdministration, or
	// an injectable statement with only effectiveDateTime).
	SingleDose bool
	// StrengthMg is the strength per dose unit in mg, 0 when unknown. It
	// tells denosumab 60 mg from 120 mg and zoledronic acid 5 mg from 4 mg.
	StrengthMg float64
	// DailyDoseMg is the daily dose in mg of the ingredient, 0 when unknown.
	DailyDoseMg float64
	// Route is oral, intravenous, subcutaneous, inhalation, topical, nasal,
	// or "" when unknown.
	Route string
	// DoNotPerform is MedicationRequest.doNotPerform.
	DoNotPerform bool
	// Selected marks a draft order listed in context.selections.
	Selected bool
	// PlannedDate is when a draft or active order is meant to be given
	// (dosageInstruction timing or dispenseRequest validity start), if known.
	PlannedDate time.Time
	// SupplyDays is the expected supply duration or validity period length
	// in days for requests, 0 when unknown.
	SupplyDays int
}

// Is reports whether the record belongs to drug class c.
func (m MedicationRecord) Is(c DrugClass) bool {
	for _, x := range m.Classes {
		if x == c {
			return true
		}
	}
	return false
}

// DisplayName is the ingredient name for card text: Dutch (NameNL, falling
// back to Name) and English (Name).
func (m MedicationRecord) DisplayName() Text {
	nl := m.NameNL
	if nl == "" {
		nl = m.Name
	}
	return Text{NL: nl, EN: m.Name}
}

// ServiceKind is a kind of ServiceRequest the rules care about.
type ServiceKind string

// Service request kinds.
const (
	ServiceDXA ServiceKind = "dxa"
)

// ServiceOrder is a ServiceRequest (drafted, active, completed or revoked).
type ServiceOrder struct {
	Source Ref
	Kind   ServiceKind
	Status string
	Date   time.Time
	Draft  bool
}

// FallRecord is a recorded fall or a count of falls in the past year.
type FallRecord struct {
	Source Ref
	Date   time.Time
	// Count is the number of falls the record stands for (1 for a single
	// fall event; the value of a "falls in the past 12 months" observation).
	Count int
	// FearOfFalling marks a record of fear of falling.
	FearOfFalling bool
}

// LifestyleFactor is a lifestyle risk factor for fractures.
type LifestyleFactor string

// Lifestyle factors (NHG M69 and NIV 2022 risk factors; SEED-GP
// "Leefstijl" in "Hoe breng je de patiënt in kaart?").
const (
	// LifestyleSmoking is current smoking, Value in packs per day (0 =
	// a non-smoker).
	LifestyleSmoking LifestyleFactor = "smoking"
	// LifestyleAlcohol is alcohol use, Value in units (EH) per day.
	LifestyleAlcohol LifestyleFactor = "alcohol"
	// LifestyleCalciumIntake is dietary calcium, Value in mg per day.
	LifestyleCalciumIntake LifestyleFactor = "calcium-intake"
)

// LifestyleRecord is one recorded lifestyle factor.
type LifestyleRecord struct {
	Source Ref
	Factor LifestyleFactor
	Value  float64
	Date   time.Time
}

// Gap is a data item that could not be used.
type Gap struct {
	Source Ref
	// What names the missing or unusable item in English for developers and
	// in the card text, e.g. "birth date" or "25-OH vitamin D (unit µg/dL)".
	What Text
}
