package fhir

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/fracturecds/fracturecds/rules"
)

// Code system URIs (terminology.md §1).
const (
	SystemLOINC    = "http://loinc.org"
	SystemSNOMED   = "http://snomed.info/sct"
	SystemRxNorm   = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemATC      = "http://www.whocc.no/atc"
	SystemICD10    = "http://hl7.org/fhir/sid/icd-10"
	SystemICD10CM  = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemICPC2    = "http://hl7.org/fhir/sid/icpc-2"
	SystemICPC1NL  = "urn:oid:2.16.840.1.113883.2.4.4.31.1"
	SystemUCUM     = "http://unitsofmeasure.org"
	SystemNHGTab45 = "urn:oid:2.16.840.1.113883.2.4.4.30.45"
)

// LocalCode maps one hospital- or practice-specific code to a concept the
// rules use, so an integration engineer can teach the service a local lab
// code, an NHG Table 45 code, a G-Standaard product or a local DXA code by
// configuration, without a rebuild. Exactly one of Analyte, Site+Measure,
// Concept or DrugClasses is set.
type LocalCode struct {
	System string `yaml:"system" json:"system"`
	Code   string `yaml:"code" json:"code"`
	// Analyte maps a lab code (its unit is still read from the Observation).
	Analyte rules.Analyte `yaml:"analyte,omitempty" json:"analyte,omitempty"`
	// Site and Measure map a DXA code.
	Site    rules.Site    `yaml:"site,omitempty" json:"site,omitempty"`
	Measure rules.Measure `yaml:"measure,omitempty" json:"measure,omitempty"`
	// Concepts map a condition or finding code.
	Concepts []rules.Concept `yaml:"concepts,omitempty" json:"concepts,omitempty"`
	// DrugClasses map a medication product code; StrengthMg gives its
	// strength per unit when the code implies one (a G-Standaard product).
	DrugClasses []rules.DrugClass `yaml:"drug_classes,omitempty" json:"drug_classes,omitempty"`
	StrengthMg  float64           `yaml:"strength_mg,omitempty" json:"strength_mg,omitempty"`
	// Name is an optional English display name for cards.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
}

// Terminology answers "what does this coding mean" for every supported
// code system, plus the configured local codes. It is built once at
// start-up and is safe for concurrent use.
type Terminology struct {
	local map[string]LocalCode // key: system + "|" + code
	// sets is the value set index: the embedded expansions, or those a
	// terminology server answered (Refresh). Swapped whole, so a request
	// sees one version.
	sets atomic.Pointer[valueSetIndex]
	// unmapped counts the codes no value set knows (nil: not counted).
	unmapped *UnmappedCodes
}

// index returns the value sets in use.
func (t *Terminology) index() *valueSetIndex {
	if t != nil {
		if x := t.sets.Load(); x != nil {
			return x
		}
	}
	return embedded()
}

// ValueSets describes the value sets in use, in load order.
func (t *Terminology) ValueSets() []ValueSetInfo {
	return slices.Clone(t.index().sets)
}

// NewTerminology returns the embedded value sets (package terminology)
// extended with local codes, which are looked up first.
// It rejects a local code that maps to nothing or to two kinds of thing.
func NewTerminology(local []LocalCode) (*Terminology, error) {
	t := &Terminology{local: map[string]LocalCode{}, unmapped: NewUnmappedCodes(DefaultUnmappedCapacity)}
	t.sets.Store(embedded())
	for i, lc := range local {
		if strings.TrimSpace(lc.System) == "" || strings.TrimSpace(lc.Code) == "" {
			return nil, fmt.Errorf("local code %d: system and code are required", i+1)
		}
		kinds := 0
		if lc.Analyte != "" {
			kinds++
		}
		if lc.Site != "" || lc.Measure != "" {
			if lc.Site == "" || lc.Measure == "" {
				return nil, fmt.Errorf("local code %s|%s: a DXA code needs both site and measure", lc.System, lc.Code)
			}
			kinds++
		}
		if len(lc.Concepts) > 0 {
			kinds++
		}
		if len(lc.DrugClasses) > 0 {
			kinds++
		}
		if kinds != 1 {
			return nil, fmt.Errorf("local code %s|%s: map it to exactly one of analyte, site+measure, concepts or drug_classes", lc.System, lc.Code)
		}
		key := lc.System + "|" + lc.Code
		if _, dup := t.local[key]; dup {
			return nil, fmt.Errorf("local code %s is mapped twice", key)
		}
		t.local[key] = lc
	}
	return t, nil
}

// DefaultTerminology is the built-in terminology without local codes.
func DefaultTerminology() *Terminology {
	t, _ := NewTerminology(nil)
	return t
}

// lookupLocal returns the local mapping of system|code, if configured.
// It runs for every coding of every resource. Without local codes (the
// default) it returns at once; otherwise the key is built in a stack
// buffer, because a concatenated key longer than 32 bytes (any SNOMED CT
// key) is allocated on the heap (Go does not copy a []byte converted to
// string for a map index).
func (t *Terminology) lookupLocal(system, code string) (LocalCode, bool) {
	if t == nil || len(t.local) == 0 {
		return LocalCode{}, false
	}
	var buf [96]byte
	if len(system)+1+len(code) > len(buf) {
		lc, ok := t.local[system+"|"+code]
		return lc, ok
	}
	key := append(append(append(buf[:0], system...), '|'), code...)
	lc, ok := t.local[string(key)]
	return lc, ok
}
