package fhir

import (
	"slices"
	"sort"
	"strings"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// This file holds the built-in value sets of terminology.md §2, §3, §5 and
// §11 as expanded lists, and the classification of codings into what the
// rules read. Without a terminology server SNOMED CT subsumption is not
// available, so only the listed SNOMED codes match.

// systemNames are the short names used in display strings such as
// "LOINC 98979-8". A display never contains the EHR's own text.
var systemNames = map[string]string{
	SystemLOINC:   "LOINC",
	SystemSNOMED:  "SNOMED CT",
	SystemICD10:   "ICD-10",
	SystemICD10CM: "ICD-10-CM",
	SystemICPC2:   "ICPC-2",
	SystemICPC1NL: "ICPC-1-NL",
	// The FHIR-style alias for ICPC-1-NL (terminology.md §1).
	systemICPC1NLAlias: "ICPC-1-NL",
	SystemATC:          "ATC",
	SystemRxNorm:       "RxNorm",
	SystemNHGTab45:     "NHG-45",
}

// systemICPC1NLAlias is the FHIR-style URI some Dutch systems send for
// ICPC-1-NL instead of the OID (terminology.md §1).
const systemICPC1NLAlias = "http://hl7.org/fhir/sid/icpc-1-nl"

// codeDisplay renders a coding for cards as "<system name> <code>", falling
// back to the system URI for systems without a short name.
func codeDisplay(system, code string) string {
	if name, ok := systemNames[system]; ok {
		return name + " " + code
	}
	return system + " " + code
}

// dxaCode is what a DXA LOINC code says about its number.
type dxaCode struct {
	site       rules.Site
	measure    rules.Measure
	laterality string
	// femur marks the LOINC "Femur" codes, which mean femoral neck only
	// together with bodySite 29627003 (terminology.md §11 DXA_SITE).
	femur bool
	// unspecified marks 46383-6 "DXA Bone", whose site must come from
	// bodySite.
	unspecified bool
	// display is codeDisplay(SystemLOINC, code), built once in dxaByCode
	// instead of once per Observation.
	display string
}

// loincDXA lists every DXA result code of terminology.md §2 (verified
// against the OHDSI Themis table of DXA LOINC codes), in SearchCodes order.
var loincDXA = []struct {
	code string
	dxa  dxaCode
}{
	// Lumbar spine.
	{"24966-4", dxaCode{site: rules.SiteLumbarSpine, measure: rules.BMD}},
	{"38267-1", dxaCode{site: rules.SiteLumbarSpine, measure: rules.TScore}},
	{"85394-5", dxaCode{site: rules.SiteLumbarSpine, measure: rules.ZScore}},
	// Hip = total hip.
	{"38261-4", dxaCode{site: rules.SiteTotalHip, measure: rules.BMD}},
	{"46278-8", dxaCode{site: rules.SiteTotalHip, measure: rules.BMD, laterality: "left"}},
	{"46279-6", dxaCode{site: rules.SiteTotalHip, measure: rules.BMD, laterality: "right"}},
	{"38264-8", dxaCode{site: rules.SiteTotalHip, measure: rules.TScore}},
	{"80946-7", dxaCode{site: rules.SiteTotalHip, measure: rules.TScore, laterality: "left"}},
	{"80945-9", dxaCode{site: rules.SiteTotalHip, measure: rules.TScore, laterality: "right"}},
	{"80933-5", dxaCode{site: rules.SiteTotalHip, measure: rules.ZScore}},
	{"80938-4", dxaCode{site: rules.SiteTotalHip, measure: rules.ZScore, laterality: "left"}},
	{"80937-6", dxaCode{site: rules.SiteTotalHip, measure: rules.ZScore, laterality: "right"}},
	// Femur: femoral neck only with bodySite 29627003.
	{"24701-5", dxaCode{femur: true, measure: rules.BMD}},
	{"80954-1", dxaCode{femur: true, measure: rules.BMD, laterality: "left"}},
	{"80953-3", dxaCode{femur: true, measure: rules.BMD, laterality: "right"}},
	{"38263-0", dxaCode{femur: true, measure: rules.TScore}},
	{"80948-3", dxaCode{femur: true, measure: rules.TScore, laterality: "left"}},
	{"80947-5", dxaCode{femur: true, measure: rules.TScore, laterality: "right"}},
	{"80934-3", dxaCode{femur: true, measure: rules.ZScore}},
	{"80940-0", dxaCode{femur: true, measure: rules.ZScore, laterality: "left"}},
	{"80939-2", dxaCode{femur: true, measure: rules.ZScore, laterality: "right"}},
	// Radius and ulna = forearm (1/3 radius).
	{"24890-6", dxaCode{site: rules.SiteForearm, measure: rules.BMD}},
	{"80952-5", dxaCode{site: rules.SiteForearm, measure: rules.BMD, laterality: "left"}},
	{"80951-7", dxaCode{site: rules.SiteForearm, measure: rules.BMD, laterality: "right"}},
	{"38265-5", dxaCode{site: rules.SiteForearm, measure: rules.TScore}},
	{"80944-2", dxaCode{site: rules.SiteForearm, measure: rules.TScore, laterality: "left"}},
	{"80943-4", dxaCode{site: rules.SiteForearm, measure: rules.TScore, laterality: "right"}},
	{"80932-7", dxaCode{site: rules.SiteForearm, measure: rules.ZScore}},
	{"80936-8", dxaCode{site: rules.SiteForearm, measure: rules.ZScore, laterality: "left"}},
	{"80935-0", dxaCode{site: rules.SiteForearm, measure: rules.ZScore, laterality: "right"}},
	// Calcaneus and humerus: real DXA sites the WHO classification does not
	// use; kept as SiteOther so they are visible but never drive a class.
	{"38262-2", dxaCode{site: rules.SiteOther, measure: rules.BMD}},
	{"80956-6", dxaCode{site: rules.SiteOther, measure: rules.BMD, laterality: "left"}},
	{"80955-8", dxaCode{site: rules.SiteOther, measure: rules.BMD, laterality: "right"}},
	{"38266-3", dxaCode{site: rules.SiteOther, measure: rules.TScore}},
	{"80950-9", dxaCode{site: rules.SiteOther, measure: rules.TScore, laterality: "left"}},
	{"80949-1", dxaCode{site: rules.SiteOther, measure: rules.TScore, laterality: "right"}},
	{"80942-6", dxaCode{site: rules.SiteOther, measure: rules.ZScore, laterality: "left"}},
	{"80941-8", dxaCode{site: rules.SiteOther, measure: rules.ZScore, laterality: "right"}},
	{"85385-3", dxaCode{site: rules.SiteOther, measure: rules.BMD}},
	{"85386-1", dxaCode{site: rules.SiteOther, measure: rules.BMD, laterality: "left"}},
	{"85387-9", dxaCode{site: rules.SiteOther, measure: rules.BMD, laterality: "right"}},
	{"85390-3", dxaCode{site: rules.SiteOther, measure: rules.TScore}},
	{"85389-5", dxaCode{site: rules.SiteOther, measure: rules.TScore, laterality: "left"}},
	{"85388-7", dxaCode{site: rules.SiteOther, measure: rules.TScore, laterality: "right"}},
	{"85391-1", dxaCode{site: rules.SiteOther, measure: rules.ZScore}},
	{"85393-7", dxaCode{site: rules.SiteOther, measure: rules.ZScore, laterality: "left"}},
	{"85392-9", dxaCode{site: rules.SiteOther, measure: rules.ZScore, laterality: "right"}},
	// Whole skeleton / unspecified: the site must come from bodySite.
	{"46383-6", dxaCode{unspecified: true, measure: rules.BMD}},
}

// loincLabs lists every lab code of terminology.md §11 (EGFR_ALL,
// CREATININE, VITD_25OH, ALP_TOTAL, CALCIUM_TOTAL, ALBUMIN, PHOSPHATE, TSH,
// FT4, ESR) plus testosterone 2986-8, in SearchCodes order. Ionised
// calcium and bone-specific ALP are deliberately absent: they are not
// substitutes for the thresholds the rules apply.
var loincLabs = []struct {
	code    string
	analyte rules.Analyte
}{
	{"98979-8", rules.AnalyteEGFR},
	{"98980-6", rules.AnalyteEGFR},
	{"62238-1", rules.AnalyteEGFR},
	{"88293-6", rules.AnalyteEGFR},
	{"88294-4", rules.AnalyteEGFR},
	{"94677-2", rules.AnalyteEGFR},
	{"33914-3", rules.AnalyteEGFR},
	{"77147-7", rules.AnalyteEGFR},
	{"48642-3", rules.AnalyteEGFR},
	{"48643-1", rules.AnalyteEGFR},
	{"50044-7", rules.AnalyteEGFR},
	{"70969-1", rules.AnalyteEGFR},
	{"50210-4", rules.AnalyteEGFR},
	{"69405-9", rules.AnalyteEGFR},
	{"35591-7", rules.AnalyteCrClCockcroftGault},
	{"14682-9", rules.AnalyteCreatinine},
	{"2160-0", rules.AnalyteCreatinine},
	{"38483-4", rules.AnalyteCreatinine},
	{"59826-8", rules.AnalyteCreatinine},
	{"62292-8", rules.AnalyteVitaminD},
	{"68438-1", rules.AnalyteVitaminD},
	{"1989-3", rules.AnalyteVitaminD},
	{"14635-7", rules.AnalyteVitaminD},
	{"6768-6", rules.AnalyteALP},
	{"2000-8", rules.AnalyteCalcium},
	{"17861-6", rules.AnalyteCalcium},
	{"29265-6", rules.AnalyteCalciumCorrected},
	{"1751-7", rules.AnalyteAlbumin},
	{"61151-7", rules.AnalyteAlbumin},
	{"61152-5", rules.AnalyteAlbumin},
	{"54347-0", rules.AnalyteAlbumin},
	{"14879-1", rules.AnalytePhosphate},
	{"2777-1", rules.AnalytePhosphate},
	{"3016-3", rules.AnalyteTSH},
	{"11580-8", rules.AnalyteTSH},
	{"14920-3", rules.AnalyteFT4},
	{"3024-7", rules.AnalyteFT4},
	{"4537-7", rules.AnalyteESR},
	{"30341-2", rules.AnalyteESR},
	{"2986-8", rules.AnalyteTestosterone},
}

// LOINCDXAOrder is the DXA study/order code (terminology.md §8), used for
// ServiceRequest.code.
const LOINCDXAOrder = "38268-9"

// labCode is a built-in lab code's analyte and its display, built once
// instead of once per Observation.
type labCode struct {
	analyte rules.Analyte
	display string
}

var (
	dxaByCode = func() map[string]dxaCode {
		m := make(map[string]dxaCode, len(loincDXA))
		for _, e := range loincDXA {
			d := e.dxa
			d.display = codeDisplay(SystemLOINC, e.code)
			m[e.code] = d
		}
		return m
	}()
	labByCode = func() map[string]labCode {
		m := make(map[string]labCode, len(loincLabs))
		for _, e := range loincLabs {
			m[e.code] = labCode{analyte: e.analyte, display: codeDisplay(SystemLOINC, e.code)}
		}
		return m
	}()
)

// Search groups for SearchCodes.
const (
	// SearchGroupDXA selects every DXA result code.
	SearchGroupDXA = "dxa"
	// SearchGroupLabs selects every lab code.
	SearchGroupLabs = "labs"
)

// SearchCodes returns the "system|code" tokens of a search group, for an
// Observation?code= query: SearchGroupDXA gives every DXA T-score, Z-score
// and BMD LOINC code plus the local DXA codes; SearchGroupLabs gives every
// lab LOINC code plus the local lab codes. Built-in codes come first in
// table order, then local codes sorted, so the order is deterministic. An
// unknown group returns nil.
func (t *Terminology) SearchCodes(group string) []string {
	var out []string
	var isLocal func(LocalCode) bool
	switch group {
	case SearchGroupDXA:
		for _, e := range loincDXA {
			out = append(out, SystemLOINC+"|"+e.code)
		}
		isLocal = func(lc LocalCode) bool { return lc.Site != "" }
	case SearchGroupLabs:
		for _, e := range loincLabs {
			out = append(out, SystemLOINC+"|"+e.code)
		}
		isLocal = func(lc LocalCode) bool { return lc.Analyte != "" }
	default:
		return nil
	}
	if t == nil {
		return out
	}
	var local []string
	for key, lc := range t.local {
		if isLocal(lc) {
			local = append(local, key)
		}
	}
	sort.Strings(local)
	return append(out, local...)
}

// labMatch is a coding recognised as a lab analyte.
type labMatch struct {
	analyte rules.Analyte
	code    string // display, e.g. "LOINC 14635-7"
}

// classifyLab returns the analyte of the first coding that is a known lab
// code (built-in LOINC or local).
func (t *Terminology) classifyLab(codings []coding) (labMatch, bool) {
	for _, c := range codings {
		system, code := c.key()
		if code == "" {
			continue
		}
		if lc, ok := t.lookupLocal(system, code); ok && lc.Analyte != "" {
			return labMatch{analyte: lc.Analyte, code: codeDisplay(system, code)}, true
		}
		if system == SystemLOINC {
			if lc, ok := labByCode[code]; ok {
				return labMatch{analyte: lc.analyte, code: lc.display}, true
			}
		}
	}
	return labMatch{}, false
}

// dxaMatch is a coding recognised as a DXA result. An empty site means the
// code is DXA but the site could not be determined; the caller reports a
// Gap rather than guessing.
type dxaMatch struct {
	site       rules.Site
	measure    rules.Measure
	laterality string
	code       string
}

// SNOMED CT body sites (terminology.md §7).
const (
	sctNeckOfFemur = "29627003"
	sctHipRegion   = "29836001"
	sctLumbarSpine = "122496007"
	sctForearm     = "14975008"
	sctRadius      = "62413002"
	sctLeft        = "7771000"
	sctRight       = "24028007"
)

// classifyDXA returns what the first DXA coding in codings means, using
// bodySite to place the LOINC "Femur" codes and the unspecified 46383-6.
//
// Femur codes (24701-5, 38263-0, 80934-3 and their lateralised variants)
// become femoral neck only with bodySite 29627003 and total hip with
// bodySite 29836001 (terminology.md §11 DXA_SITE). With any other or no
// bodySite the site is undetermined: "Femur" is used by devices for both
// the neck and the total proximal femur, and reading it as either could
// change the WHO class, so it becomes a Gap. Hip codes with bodySite
// 29627003 are read as femoral neck, because the bodySite is the more
// specific statement.
func (t *Terminology) classifyDXA(codings, bodySite []coding) (dxaMatch, bool) {
	sites := bodySiteCodes(bodySite)
	for _, c := range codings {
		system, code := c.key()
		if code == "" {
			continue
		}
		if lc, ok := t.lookupLocal(system, code); ok && lc.Site != "" {
			return dxaMatch{site: lc.Site, measure: lc.Measure, laterality: sites.laterality, code: codeDisplay(system, code)}, true
		}
		if system != SystemLOINC {
			continue
		}
		d, ok := dxaByCode[code]
		if !ok {
			continue
		}
		m := dxaMatch{site: d.site, measure: d.measure, laterality: d.laterality, code: d.display}
		if m.laterality == "" {
			m.laterality = sites.laterality
		}
		switch {
		case d.femur:
			switch {
			case sites.has(sctNeckOfFemur):
				m.site = rules.SiteFemoralNeck
			case sites.has(sctHipRegion):
				m.site = rules.SiteTotalHip
			default:
				m.site = ""
			}
		case d.unspecified:
			m.site = sites.site()
		case d.site == rules.SiteTotalHip && sites.has(sctNeckOfFemur):
			m.site = rules.SiteFemoralNeck
		}
		return m, true
	}
	return dxaMatch{}, false
}

// bodySites is the SNOMED CT content of Observation.bodySite.
type bodySites struct {
	// codings are the bodySite's codings as sent; has reads the SNOMED
	// ones. Keeping them, rather than a slice of the SNOMED codes, saves
	// an allocation per DXA Observation.
	codings    []coding
	laterality string
}

// bodySiteCodes reads a bodySite and any laterality qualifier coded
// alongside it.
func bodySiteCodes(codings []coding) bodySites {
	b := bodySites{codings: codings}
	for _, c := range codings {
		system, code := c.key()
		if system != SystemSNOMED {
			continue
		}
		switch code {
		case sctLeft:
			b.laterality = "left"
		case sctRight:
			b.laterality = "right"
		}
	}
	return b
}

// has reports whether the bodySite has the SNOMED CT site code (never a
// laterality code: those qualify the site, they are not one).
func (b bodySites) has(code string) bool {
	if code == "" || code == sctLeft || code == sctRight {
		return false
	}
	for _, c := range b.codings {
		if system, k := c.key(); system == SystemSNOMED && k == code {
			return true
		}
	}
	return false
}

// site maps a bodySite to a DXA site, "" when it names none of them.
func (b bodySites) site() rules.Site {
	switch {
	case b.has(sctNeckOfFemur):
		return rules.SiteFemoralNeck
	case b.has(sctHipRegion):
		return rules.SiteTotalHip
	case b.has(sctLumbarSpine):
		return rules.SiteLumbarSpine
	case b.has(sctForearm), b.has(sctRadius):
		return rules.SiteForearm
	}
	return ""
}

// conditionMatch is what a condition's codings mean together.
type conditionMatch struct {
	concepts      []rules.Concept
	code          string
	lowConfidence bool
}

// codingMeaning is what one coding contributes.
type codingMeaning struct {
	concepts []rules.Concept
	// lowConfidence marks a fracture code whose site may be an excluded one
	// (ICPC L74: hand/foot may be a finger or toe).
	lowConfidence bool
	// display is codeDisplay of the coding when it could be built once,
	// for a table keyed by the code as sent (SNOMED CT); "" otherwise.
	display string
}

// Shorthands for the concept lists below.
const (
	cFx    = rules.ConceptFracture
	cExcl  = rules.ConceptFractureExcluded
	cVert  = rules.ConceptVertebralFracture
	cHip   = rules.ConceptHipFracture
	cMTX   = rules.ConceptMTXTypicalSite
	cOP    = rules.ConceptOsteoporosis
	cPain  = rules.ConceptBonePain
	cHypo  = rules.ConceptHypothyroidism
	cStres = rules.ConceptStressFracture
	cHH    = rules.ConceptHiatalHernia
	cOes   = rules.ConceptOesophagealDisorder
)

// snomedConditions is the expanded SNOMED CT list (terminology.md §5.1 and
// §11). Falls have no verified code and are left to local mapping. The
// oesophageal codes for oral-bisphosphonate-gi-caution (rules.md R25) are
// not in terminology.md; they are ~ (the same code and meaning in several
// independent third-party code tables, each also paired with the ICD-10
// code used below): confirm before go-live.
var snomedConditions = withDisplays(SystemSNOMED, map[string]codingMeaning{
	"84089009":  {concepts: []rules.Concept{cHH}},  // Hiatal hernia (~; ICD-10 K44.9)
	"235595009": {concepts: []rules.Concept{cHH}},  // Gastroesophageal reflux disease (~; K21)
	"45564002":  {concepts: []rules.Concept{cOes}}, // Achalasia (~; K22.0)
	"302914006": {concepts: []rules.Concept{cOes}}, // Barrett's esophagus (~; K22.7)
	// Generic fracture codes: the site is unknown, so it may be a finger or
	// toe (excluded); included, but the card asks to verify the site.
	"125605004": {concepts: []rules.Concept{cFx}, lowConfidence: true}, // Fracture of bone
	"423125000": {concepts: []rules.Concept{cFx}, lowConfidence: true}, // Closed fracture
	"397181002": {concepts: []rules.Concept{cFx}, lowConfidence: true}, // Open fracture
	"20511007":  {concepts: []rules.Concept{cFx}, lowConfidence: true}, // Fracture of hand
	// Hip.
	"359817006": {concepts: []rules.Concept{cFx, cHip}}, // Closed fracture of hip
	"700097003": {concepts: []rules.Concept{cFx, cHip}}, // Fracture of bone of hip region
	"5913000":   {concepts: []rules.Concept{cFx, cHip}}, // Fracture of neck of femur
	"359820003": {concepts: []rules.Concept{cFx, cHip}}, // Closed fracture of neck of femur
	"71620000":  {concepts: []rules.Concept{cFx}},       // Fracture of femur
	"25415003":  {concepts: []rules.Concept{cFx}},       // Closed fracture of femur
	// Vertebral (VERTEBRAL_FRACTURE).
	"42157000":  {concepts: []rules.Concept{cFx, cVert}},      // Closed fracture of vertebral column
	"240198002": {concepts: []rules.Concept{cFx, cVert, cOP}}, // Osteoporotic vertebral collapse
	"311890007": {concepts: []rules.Concept{cFx, cVert, cOP}}, // Collapse of lumbar vertebra due to osteoporosis
	"311891006": {concepts: []rules.Concept{cFx, cVert, cOP}}, // Collapse of thoracic vertebra due to osteoporosis
	"311806008": {concepts: []rules.Concept{cFx, cVert, cOP}}, // Collapse of cervical vertebra due to osteoporosis
	"203450003": {concepts: []rules.Concept{cFx, cVert, cOP}}, // Osteoporosis with pathological fracture of lumbar vertebrae
	"203451004": {concepts: []rules.Concept{cFx, cVert, cOP}}, // Osteoporosis with pathological fracture of thoracic vertebrae
	// Osteoporotic (pathological) fractures stay included.
	"443165006": {concepts: []rules.Concept{cFx, cOP}},       // Pathological fracture due to osteoporosis
	"431031001": {concepts: []rules.Concept{cFx, cHip, cOP}}, // Pathological fracture of neck of femur with osteoporosis
	"203453001": {concepts: []rules.Concept{cFx, cOP}},       // Postmenopausal osteoporosis with pathological fracture
	// Forearm, humerus, pelvis.
	"263199001":  {concepts: []rules.Concept{cFx}}, // Fracture of distal end of radius
	"12676007":   {concepts: []rules.Concept{cFx}}, // Fracture of radius
	"65966004":   {concepts: []rules.Concept{cFx}}, // Fracture of forearm
	"1303397005": {concepts: []rules.Concept{cFx}}, // Fracture of bone of wrist region
	"66308002":   {concepts: []rules.Concept{cFx}}, // Fracture of humerus
	"263191003":  {concepts: []rules.Concept{cFx}}, // Fracture of neck of humerus
	"788938006":  {concepts: []rules.Concept{cFx}}, // Fracture of head of humerus
	"77493009":   {concepts: []rules.Concept{cFx}}, // Fracture of pelvis
	"414292006":  {concepts: []rules.Concept{cFx}}, // Fracture of lower leg
	// MTX_TYPICAL_SITES.
	"31978002":  {concepts: []rules.Concept{cFx, cMTX}},         // Fracture of tibia
	"447139008": {concepts: []rules.Concept{cFx, cMTX}},         // Closed fracture of tibia
	"6990005":   {concepts: []rules.Concept{cFx, cMTX}},         // Fracture of shaft of tibia
	"15574005":  {concepts: []rules.Concept{cFx, cMTX}},         // Fracture of foot
	"704065008": {concepts: []rules.Concept{cFx, cMTX, cStres}}, // Stress fracture of foot
	"79610001":  {concepts: []rules.Concept{cFx, cMTX}},         // Fracture of metatarsal bone (~)
	"16114001":  {concepts: []rules.Concept{cFx, cMTX}},         // Fracture of ankle
	"208393000": {concepts: []rules.Concept{cFx, cMTX}},         // Fracture of metacarpal bone
	// FRACTURE_EXCLUDED: pathological fractures other than osteoporotic.
	"203449003": {concepts: []rules.Concept{cExcl}}, // Fracture of bone in neoplastic disease
	"268029009": {concepts: []rules.Concept{cExcl}}, // Pathological fracture (cause unstated)
	// Osteoporosis.
	"64859006":  {concepts: []rules.Concept{cOP}},
	"102447009": {concepts: []rules.Concept{cOP}},
	"18040001":  {concepts: []rules.Concept{cOP}},
	"390833005": {concepts: []rules.Concept{cOP}},
	"14651005":  {concepts: []rules.Concept{cOP}},
	// BONE_PAIN (~).
	"12584003": {concepts: []rules.Concept{cPain}},
})

// withDisplays sets the display of every entry of a table keyed by code,
// at start-up.
func withDisplays(system string, m map[string]codingMeaning) map[string]codingMeaning {
	for code, cm := range m {
		cm.display = codeDisplay(system, code)
		m[code] = cm
	}
	return m
}

// icd10Rule maps a code prefix (dots removed, upper case) to a meaning.
// The longest matching prefix wins.
type icd10Rule struct {
	prefix  string
	meaning codingMeaning
	// cmOnly restricts the rule to ICD-10-CM, where the 5th character
	// has a different meaning than in WHO ICD-10.
	cmOnly bool
}

// icd10Rules follows terminology.md §5.2 and §11 (FRACTURE_INCLUDED,
// FRACTURE_EXCLUDED, VERTEBRAL_FRACTURE); WHO and CM share the 4-character
// structure used here.
var icd10Rules = func() []icd10Rule {
	m := func(lc bool, cs ...rules.Concept) codingMeaning {
		return codingMeaning{concepts: cs, lowConfidence: lc}
	}
	rs := []icd10Rule{
		{prefix: "S02", meaning: m(false, cExcl)}, // skull and face
		{prefix: "S12", meaning: m(false, cExcl)}, // cervical spine
		// S22 is ribs, sternum and thoracic spine: every part is an
		// included site (NIV), flail chest (S22.5) included.
		{prefix: "S22", meaning: m(false, cFx)},
		{prefix: "S220", meaning: m(false, cFx, cVert)},
		// WHO S22.1 "multiple fractures of thoracic spine" (not in CM).
		{prefix: "S221", meaning: m(false, cFx, cVert)},
		{prefix: "S32", meaning: m(false, cFx)}, // sacrum, pelvis, acetabulum
		{prefix: "S320", meaning: m(false, cFx, cVert)},
		{prefix: "S42", meaning: m(false, cFx)},
		{prefix: "S52", meaning: m(false, cFx)},
		{prefix: "S62", meaning: m(true, cFx)}, // S62.8/S62.9: hand, unspecified part
		{prefix: "S620", meaning: m(false, cFx)},
		{prefix: "S621", meaning: m(false, cFx)},
		{prefix: "S622", meaning: m(false, cFx, cMTX)}, // first metacarpal
		{prefix: "S623", meaning: m(false, cFx, cMTX)}, // other metacarpal
		{prefix: "S624", meaning: m(false, cFx, cMTX)}, // multiple metacarpals
		{prefix: "S625", meaning: m(false, cExcl)},     // thumb
		{prefix: "S626", meaning: m(false, cExcl)},     // other finger
		{prefix: "S627", meaning: m(false, cExcl)},     // multiple fingers
		{prefix: "S72", meaning: m(false, cFx)},
		{prefix: "S720", meaning: m(false, cFx, cHip)},
		{prefix: "S721", meaning: m(false, cFx, cHip)},
		{prefix: "S722", meaning: m(false, cFx, cHip)},
		{prefix: "S82", meaning: m(false, cFx)},
		{prefix: "S821", meaning: m(false, cFx, cMTX)}, // upper end of tibia
		{prefix: "S822", meaning: m(false, cFx, cMTX)}, // shaft of tibia
		{prefix: "S823", meaning: m(false, cFx, cMTX)}, // lower end of tibia
		{prefix: "S825", meaning: m(false, cFx, cMTX)}, // medial malleolus (ankle)
		{prefix: "S826", meaning: m(false, cFx, cMTX)}, // lateral malleolus (ankle)
		{prefix: "S92", meaning: m(true, cFx, cMTX)},   // S92.7/S92.9: foot, unspecified part
		{prefix: "S920", meaning: m(false, cFx, cMTX)}, // calcaneus
		{prefix: "S921", meaning: m(false, cFx, cMTX)}, // talus
		{prefix: "S922", meaning: m(false, cFx, cMTX)}, // other tarsal
		{prefix: "S923", meaning: m(false, cFx, cMTX)}, // metatarsal
		{prefix: "S924", meaning: m(false, cExcl)},     // great toe
		{prefix: "S925", meaning: m(false, cExcl)},     // other toe
		{prefix: "M80", meaning: m(false, cFx, cOP)},
		// CM only: M80.08 / M80.88 = vertebra(e). In WHO ICD-10 the 5th
		// character 8 means "other site".
		{prefix: "M8008", meaning: m(false, cFx, cVert, cOP), cmOnly: true},
		{prefix: "M8088", meaning: m(false, cFx, cVert, cOP), cmOnly: true},
		{prefix: "M81", meaning: m(false, cOP)},
		{prefix: "M485", meaning: m(false, cFx, cVert)},
		{prefix: "M843", meaning: m(false, cFx, cStres)},
		{prefix: "M845", meaning: m(false, cExcl)}, // pathological fracture in neoplastic disease
		// Oesophageal disorders for rules.md R25 (WHO ICD-10 chapter XI).
		{prefix: "K44", meaning: m(false, cHH)},   // diaphragmatic (hiatal) hernia
		{prefix: "K21", meaning: m(false, cHH)},   // gastro-oesophageal reflux disease
		{prefix: "K220", meaning: m(false, cOes)}, // achalasia of cardia
		{prefix: "K222", meaning: m(false, cOes)}, // oesophageal obstruction (stricture)
		{prefix: "K227", meaning: m(false, cOes)}, // Barrett's oesophagus
	}
	// Longest prefix first, so the first match is the most specific.
	sort.SliceStable(rs, func(i, j int) bool { return len(rs[i].prefix) > len(rs[j].prefix) })
	return rs
}()

// icpcConditions maps ICPC rubrics (ICPC-2 and ICPC-1-NL share them,
// terminology.md §5.3). L76 "fracture: other" covers vertebrae, ribs and
// humerus, so it is vertebral only when another coding of the same
// condition says so; it is never vertebral by itself.
var icpcConditions = map[string]codingMeaning{
	"L72": {concepts: []rules.Concept{cFx}},
	"L73": {concepts: []rules.Concept{cFx, cMTX}}, // tibia/fibula
	"L74": {concepts: []rules.Concept{cFx}, lowConfidence: true},
	"L75": {concepts: []rules.Concept{cFx}},
	"L76": {concepts: []rules.Concept{cFx}},
	"L95": {concepts: []rules.Concept{cOP}},
	"T86": {concepts: []rules.Concept{cHypo}},
	"D90": {concepts: []rules.Concept{cHH}}, // hiatus hernia (ICPC-2 D90)
}

// codingMeaningOf classifies one condition coding.
func (t *Terminology) codingMeaningOf(system, code string) (codingMeaning, bool) {
	if lc, ok := t.lookupLocal(system, code); ok && len(lc.Concepts) > 0 {
		return codingMeaning{concepts: lc.Concepts}, true
	}
	switch system {
	case SystemSNOMED:
		cm, ok := snomedConditions[code]
		return cm, ok
	case SystemICD10, SystemICD10CM:
		norm := strings.ToUpper(strings.ReplaceAll(code, ".", ""))
		for _, r := range icd10Rules {
			if r.cmOnly && system != SystemICD10CM {
				continue
			}
			if strings.HasPrefix(norm, r.prefix) {
				return r.meaning, true
			}
		}
	case SystemICPC2, SystemICPC1NL, systemICPC1NLAlias:
		// ICPC-1-NL sub-codes ("L95.01") belong to their rubric.
		rubric, _, _ := strings.Cut(strings.ToUpper(code), ".")
		cm, ok := icpcConditions[rubric]
		return cm, ok
	}
	return codingMeaning{}, false
}

// classifyCondition combines the meaning of every coding of a condition's
// code. The display is the first matching coding. The result is low
// confidence only when every fracture-bearing coding is: a specific code
// next to ICPC L74 settles the site.
func (t *Terminology) classifyCondition(codings []coding) (conditionMatch, bool) {
	var m conditionMatch
	anyLow, anySure := false, false
	for _, c := range codings {
		system, code := c.key()
		if code == "" {
			continue
		}
		cm, ok := t.codingMeaningOf(system, code)
		if !ok {
			continue
		}
		if m.code == "" {
			m.code = cm.display
			if m.code == "" {
				m.code = codeDisplay(system, code)
			}
		}
		if m.concepts == nil {
			// Most conditions have one matching coding: size for it
			// instead of growing one concept at a time.
			m.concepts = make([]rules.Concept, 0, len(cm.concepts))
		}
		for _, concept := range cm.concepts {
			// A linear search: a condition has a handful of concepts.
			if !slices.Contains(m.concepts, concept) {
				m.concepts = append(m.concepts, concept)
			}
			if concept == cFx || concept == cExcl {
				if cm.lowConfidence {
					anyLow = true
				} else {
					anySure = true
				}
			}
		}
	}
	if len(m.concepts) == 0 {
		return conditionMatch{}, false
	}
	m.lowConfidence = anyLow && !anySure
	return m, true
}

// codingKey returns a coding's system and code, trimmed, "" when absent.
func codingKey(c r4.Coding) (system, code string) {
	if c.System != nil {
		system = strings.TrimSpace(*c.System)
	}
	if c.Code != nil {
		code = strings.TrimSpace(*c.Code)
	}
	return system, code
}

// hasCoding reports whether any coding is system|code.
func hasCoding(cc *r4.CodeableConcept, system, code string) bool {
	if cc == nil {
		return false
	}
	for _, c := range cc.Coding {
		s, k := codingKey(c)
		if s == system && k == code {
			return true
		}
	}
	return false
}
