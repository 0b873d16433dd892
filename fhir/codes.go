package fhir

import (
	"slices"
	"sort"
	"strings"

	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/fracturecds/fracturecds/rules"
)

// This file classifies codings into what the rules read, by the value sets
// of package terminology (see valuesets.go): terminology.md §2, §3, §5 and
// §11 as data generated from published sources. Without a terminology
// server SNOMED CT subsumption is not available, so only the expanded
// SNOMED codes match.

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

// LOINCDXAOrder is the DXA study/order code (terminology.md §8), used for
// ServiceRequest.code.
const LOINCDXAOrder = "38268-9"

// labCode is a built-in lab code's analyte and its display, built once
// instead of once per Observation.
type labCode struct {
	analyte rules.Analyte
	display string
}

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
		for _, code := range t.index().dxaOrder {
			out = append(out, SystemLOINC+"|"+code)
		}
		isLocal = func(lc LocalCode) bool { return lc.Site != "" }
	case SearchGroupLabs:
		for _, code := range t.index().labOrder {
			out = append(out, SystemLOINC+"|"+code)
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
			if lc, ok := t.index().labs[code]; ok {
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
		d, ok := t.index().dxa[code]
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

// Shorthands for classifyCondition.
const (
	cFx   = rules.ConceptFracture
	cExcl = rules.ConceptFractureExcluded
)

// codingMeaningOf classifies one condition coding.
func (t *Terminology) codingMeaningOf(system, code string) (codingMeaning, bool) {
	if lc, ok := t.lookupLocal(system, code); ok && len(lc.Concepts) > 0 {
		return codingMeaning{concepts: lc.Concepts}, true
	}
	x := t.index()
	switch system {
	case SystemSNOMED:
		cm, ok := x.snomed[code]
		return cm, ok
	case SystemICD10:
		return lookupICD(x.icd10, code)
	case SystemICD10CM:
		// ICD-10-CM codes that differ from WHO ICD-10 (M80.08 vertebra)
		// are only in the CM value sets.
		return lookupICD(x.icd10cm, code)
	case SystemICPC2, SystemICPC1NL, systemICPC1NLAlias:
		// ICPC-1-NL sub-codes ("L95.01") belong to their rubric.
		rubric, _, _ := strings.Cut(strings.ToUpper(code), ".")
		cm, ok := x.icpc[rubric]
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
