package fhir

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fracturecds/fracturecds/fhir/terminology"
	"github.com/fracturecds/fracturecds/rules"
)

// The value sets of package terminology, indexed for the lookups of
// codes.go and medcodes.go. A value set's meaning extension
// ("drug-class:...", "concept:...", "analyte:...", "dxa-site:...") says
// what its codes mean to the rules; the codes themselves are data,
// generated from published sources (fhir/terminology/source).

// valueSetIndex is every value set, indexed by code system.
type valueSetIndex struct {
	// atc is keyed by upper-case code; a code is matched by its longest
	// listed prefix (the ATC hierarchy is its code structure).
	atc map[string]drugEntry
	// rxnorm holds ingredients and products by code.
	rxnorm map[string]drugEntry
	// rxnormNames recognise an RxNorm product in no expansion by its
	// RxNorm name, in value set order.
	rxnormNames []namePattern
	// snomed is keyed by code as sent.
	snomed map[string]codingMeaning
	// icd10 and icd10cm are keyed by upper-case code without dots and
	// matched by longest prefix; icpc by rubric.
	icd10, icd10cm map[string]codingMeaning
	icpc           map[string]codingMeaning
	labs           map[string]labCode
	dxa            map[string]dxaCode
	// labOrder and dxaOrder are the LOINC codes in expansion order, for
	// SearchCodes.
	labOrder, dxaOrder []string
	// sets describes the value sets, for the admin view.
	sets []ValueSetInfo
}

// namePattern is a display filter of a drug value set.
type namePattern struct {
	re    *regexp.Regexp
	entry drugEntry
}

// ValueSetInfo describes one loaded value set.
type ValueSetInfo struct {
	ID      string   `json:"id"`
	URL     string   `json:"url"`
	Version string   `json:"version"`
	Title   string   `json:"title"`
	Codes   int      `json:"codes"`
	Sources []string `json:"sources,omitempty"`
	// Origin is "embedded" or the terminology server that expanded it.
	Origin string `json:"origin"`
}

var (
	embeddedOnce  sync.Once
	embeddedIndex *valueSetIndex
	embeddedSets  []terminology.ValueSet
	embeddedErr   error
)

// embedded returns the index of the embedded value sets. They are part
// of the binary and checked by tests, so an error is a build defect.
func embedded() *valueSetIndex {
	embeddedOnce.Do(func() {
		embeddedSets, embeddedErr = terminology.Embedded()
		if embeddedErr == nil {
			embeddedIndex, embeddedErr = buildIndex(embeddedSets, nil)
		}
	})
	if embeddedErr != nil {
		panic(fmt.Sprintf("fhir: embedded terminology: %v", embeddedErr))
	}
	return embeddedIndex
}

// buildIndex indexes value sets; origin names where each came from
// (nil: all embedded).
func buildIndex(sets []terminology.ValueSet, origin map[string]string) (*valueSetIndex, error) {
	x := &valueSetIndex{
		atc: map[string]drugEntry{}, rxnorm: map[string]drugEntry{},
		snomed: map[string]codingMeaning{}, icd10: map[string]codingMeaning{},
		icd10cm: map[string]codingMeaning{}, icpc: map[string]codingMeaning{},
		labs: map[string]labCode{}, dxa: map[string]dxaCode{},
	}
	for _, vs := range sets {
		if err := x.add(vs); err != nil {
			return nil, fmt.Errorf("value set %s: %w", vs.ID, err)
		}
		o := origin[vs.URL]
		if o == "" {
			o = "embedded"
		}
		x.sets = append(x.sets, ValueSetInfo{ID: vs.ID, URL: vs.URL, Version: vs.Version, Title: vs.Title, Codes: len(vs.Contains), Sources: vs.Sources, Origin: o})
	}
	return x, nil
}

// meaning is a value set's (or a concept's) meaning extension, parsed.
type meaning struct {
	drug     drugEntry
	isDrug   bool
	concepts []rules.Concept
	lowConf  bool
	analyte  rules.Analyte
	dxa      dxaCode
	isDXA    bool
}

func parseMeanings(m *meaning, codes []string) error {
	for _, s := range codes {
		kind, v, _ := strings.Cut(s, ":")
		switch kind {
		case "drug-class":
			m.isDrug = true
			m.drug.classes = append(m.drug.classes, rules.DrugClass(v))
		case "name":
			m.drug.name = v
		case "name-nl":
			m.drug.nameNL = v
		case "concept":
			m.concepts = append(m.concepts, rules.Concept(v))
		case "analyte":
			m.analyte = rules.Analyte(v)
		case "dxa-site":
			m.isDXA = true
			m.dxa.site = rules.Site(v)
		case "dxa-measure":
			m.isDXA = true
			m.dxa.measure = rules.Measure(v)
		case "laterality":
			m.dxa.laterality = v
		case "flag":
			switch v {
			case "bp-by-route":
				m.drug.bpByRoute = true
			case "low-confidence":
				m.lowConf = true
			case "femur":
				m.dxa.femur = true
			case "unspecified-site":
				m.dxa.unspecified = true
			default:
				return fmt.Errorf("unknown flag %q", v)
			}
		default:
			return fmt.Errorf("unknown meaning %q", s)
		}
	}
	return nil
}

func (x *valueSetIndex) add(vs terminology.ValueSet) error {
	var base meaning
	if err := parseMeanings(&base, vs.Meanings); err != nil {
		return err
	}
	if base.isDrug {
		for _, p := range vs.Patterns {
			if p.System == SystemRxNorm {
				x.rxnormNames = append(x.rxnormNames, namePattern{re: p.Regexp, entry: base.drug})
			}
		}
	}
	for _, c := range vs.Contains {
		m := base
		if len(c.Meanings) > 0 {
			if err := parseMeanings(&m, c.Meanings); err != nil {
				return fmt.Errorf("%s|%s: %w", c.System, c.Code, err)
			}
		}
		code := strings.TrimSpace(c.Code)
		switch {
		case m.isDrug:
			e := m.drug
			switch c.System {
			case SystemATC:
				x.atc[strings.ToUpper(code)] = mergeDrug(x.atc[strings.ToUpper(code)], e)
			case SystemRxNorm:
				// A product's strength and dose form are in its published
				// RxNorm name.
				e.strengthMg = parseDisplayMg(c.Display)
				e.formRoute = doseFormRoute(c.Display, e.bpByRoute)
				x.rxnorm[code] = mergeDrug(x.rxnorm[code], e)
			default:
				return fmt.Errorf("drug code of system %s", c.System)
			}
		case len(m.concepts) > 0:
			cm := codingMeaning{concepts: m.concepts, lowConfidence: m.lowConf}
			switch c.System {
			case SystemSNOMED:
				cm.display = codeDisplay(SystemSNOMED, code)
				x.snomed[code] = mergeMeaning(x.snomed[code], cm)
			case SystemICD10:
				k := icdKey(code)
				x.icd10[k] = mergeMeaning(x.icd10[k], cm)
			case SystemICD10CM:
				k := icdKey(code)
				x.icd10cm[k] = mergeMeaning(x.icd10cm[k], cm)
			case SystemICPC2, SystemICPC1NL, systemICPC1NLAlias:
				k := strings.ToUpper(code)
				x.icpc[k] = mergeMeaning(x.icpc[k], cm)
			default:
				return fmt.Errorf("condition code of system %s", c.System)
			}
		case m.analyte != "":
			if c.System != SystemLOINC {
				return fmt.Errorf("lab code of system %s", c.System)
			}
			if _, dup := x.labs[code]; !dup {
				x.labOrder = append(x.labOrder, code)
			}
			x.labs[code] = labCode{analyte: m.analyte, display: codeDisplay(SystemLOINC, code)}
		case m.isDXA:
			if c.System != SystemLOINC {
				return fmt.Errorf("DXA code of system %s", c.System)
			}
			if _, dup := x.dxa[code]; !dup {
				x.dxaOrder = append(x.dxaOrder, code)
			}
			d := m.dxa
			d.display = codeDisplay(SystemLOINC, code)
			x.dxa[code] = d
		default:
			return fmt.Errorf("%s|%s means nothing", c.System, c.Code)
		}
	}
	return nil
}

// icdKey normalises an ICD-10 code for prefix lookup.
func icdKey(code string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), ".", ""))
}

// mergeDrug combines two value sets that list one code: a combination
// product is in the value set of each of its ingredients.
func mergeDrug(a, b drugEntry) drugEntry {
	if a.name == "" {
		return b
	}
	for _, c := range b.classes {
		if !slices.Contains(a.classes, c) {
			a.classes = append(slices.Clip(a.classes), c)
		}
	}
	if a.name != b.name {
		a.name += " / " + b.name
		a.nameNL += " / " + b.nameNL
	}
	a.bpByRoute = a.bpByRoute || b.bpByRoute
	if a.strengthMg == 0 {
		a.strengthMg = b.strengthMg
	}
	return a
}

// mergeMeaning combines two value sets that list one condition code: the
// concepts add up, and the code is low confidence only when every set
// says so.
func mergeMeaning(a, b codingMeaning) codingMeaning {
	if len(a.concepts) == 0 {
		return b
	}
	for _, c := range b.concepts {
		if !slices.Contains(a.concepts, c) {
			a.concepts = append(slices.Clip(a.concepts), c)
		}
	}
	a.lowConfidence = a.lowConfidence && b.lowConfidence
	// One order whatever the order of the value sets: rules.Concept's.
	slices.SortStableFunc(a.concepts, func(p, q rules.Concept) int {
		return conceptRank(p) - conceptRank(q)
	})
	return a
}

// conceptOrder is the declaration order of rules.Concept.
var conceptOrder = []rules.Concept{
	rules.ConceptFracture, rules.ConceptFractureExcluded, rules.ConceptVertebralFracture,
	rules.ConceptHipFracture, rules.ConceptMTXTypicalSite, rules.ConceptStressFracture,
	rules.ConceptBonePain, rules.ConceptOsteoporosis, rules.ConceptOesophagealDisorder,
	rules.ConceptHiatalHernia, rules.ConceptHypothyroidism, rules.ConceptFall,
}

func conceptRank(c rules.Concept) int {
	if i := slices.Index(conceptOrder, c); i >= 0 {
		return i
	}
	return len(conceptOrder)
}

// lookupATC finds an ATC code by its longest listed prefix.
func (x *valueSetIndex) lookupATC(code string) (drugEntry, bool) {
	code = strings.ToUpper(code)
	for l := len(code); l > 0; l-- {
		if e, ok := x.atc[code[:l]]; ok {
			return e, true
		}
	}
	return drugEntry{}, false
}

// lookupICD finds an ICD-10 code by its longest listed prefix.
func lookupICD(m map[string]codingMeaning, code string) (codingMeaning, bool) {
	k := icdKey(code)
	for l := len(k); l >= 3; l-- {
		if cm, ok := m[k[:l]]; ok {
			return cm, true
		}
	}
	return codingMeaning{}, false
}

// rxnormByName recognises an RxNorm coding by its display, the RxNorm
// name, when its code is in no expansion: the product lists of the
// published value sets are not complete, RxNorm names are normalised
// ("alendronic acid 70 MG Oral Tablet"), and an EHR sends them as the
// display. Only RxNorm codings are read this way, never free text.
//
// A combination ("alendronic acid 70 MG / cholecalciferol 2800 UNT") has
// the classes of each ingredient, named in the order of the product name.
func (x *valueSetIndex) rxnormByName(display string) (drugEntry, bool) {
	type hit struct {
		at    int
		entry drugEntry
	}
	var hits []hit
	for _, p := range x.rxnormNames {
		if loc := p.re.FindStringIndex(display); loc != nil {
			hits = append(hits, hit{loc[0], p.entry})
		}
	}
	if len(hits) == 0 {
		return drugEntry{}, false
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at - b.at })
	var e drugEntry
	for _, h := range hits {
		e = mergeDrug(e, h.entry)
	}
	e.formRoute = doseFormRoute(display, e.bpByRoute)
	return e, true
}

// RxNorm dose forms (the end of an SCD/SBD name) by the route they imply.
// A local form is checked first: "Oral Paste" is applied to the mouth.
var (
	formInhaled = regexp.MustCompile(`(?i)\binhal`)
	formNasal   = regexp.MustCompile(`(?i)\bnasal\b`)
	formLocal   = regexp.MustCompile(`(?i)\b(ophthalmic|otic|topical|cream|ointment|lotion|shampoo|foam|rectal|enema|vaginal|mouthwash|paste|transdermal|medicated pad|irrigation)\b`)
	formOral    = regexp.MustCompile(`(?i)\b(oral|chewable|sublingual|buccal)\b`)
	formInject  = regexp.MustCompile(`(?i)\b(injection|injectable|prefilled syringe|auto-injector|pen injector|cartridge)\b`)
)

// doseFormRoute returns the route an RxNorm product name implies, "" when
// it names none. An injection is intravenous only for a bisphosphonate
// that exists as tablet and infusion (ibandronic acid 3 mg prefilled
// syringe is given IV); other injections leave the route open.
func doseFormRoute(name string, bpByRoute bool) string {
	switch {
	case name == "":
		return ""
	case formInhaled.MatchString(name):
		return routeInhalation
	case formNasal.MatchString(name):
		return routeNasal
	case formLocal.MatchString(name):
		return routeTopical
	case formOral.MatchString(name):
		return routeOral
	case bpByRoute && formInject.MatchString(name):
		return routeIntravenous
	}
	return ""
}
