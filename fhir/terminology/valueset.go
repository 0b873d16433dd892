package terminology

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// MeaningURL is the extension that says what a value set (or one concept of
// it) means to the rules, as "kind:value" codes: "drug-class:bisphosphonate",
// "concept:fracture", "analyte:egfr", "dxa-site:lumbar-spine", "name:...".
const MeaningURL = "https://fracturecds.org/fhir/StructureDefinition/meaning"

// expansions is the generated file (see gen and doc.go): every value set
// the service uses, expanded from the published sources under source/.
//
//go:embed expansions.json
var expansions []byte

// Concept is one code of an expansion.
type Concept struct {
	System  string
	Code    string
	Display string
	// Meanings are concept-level meanings, added to the value set's.
	Meanings []string
}

// DisplayPattern is a compose filter on the display of a system's codes: an
// RxNorm product whose code is in no expansion is still recognised by its
// RxNorm name (see package fhir).
type DisplayPattern struct {
	System string
	Regexp *regexp.Regexp
}

// ValueSet is one expanded value set.
type ValueSet struct {
	ID, URL, Version, Title string
	// Meanings say what every code of the set means.
	Meanings []string
	Contains []Concept
	// Patterns are the compose display filters of its includes.
	Patterns []DisplayPattern
	// Sources are the published value sets the expansion used
	// ("url|version").
	Sources []string
}

// Embedded returns the value sets built into the binary.
func Embedded() ([]ValueSet, error) {
	return ParseBundle(expansions)
}

// EmbeddedJSON returns the generated file as embedded, for an admin or
// debugging view.
func EmbeddedJSON() []byte { return expansions }

// jsonValueSet is the part of a FHIR R4 ValueSet read here.
type jsonValueSet struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	URL          string      `json:"url"`
	Version      string      `json:"version"`
	Title        string      `json:"title"`
	Name         string      `json:"name"`
	Extension    []extension `json:"extension,omitempty"`
	Compose      *compose    `json:"compose,omitempty"`
	Expansion    *expansion  `json:"expansion,omitempty"`
}

type extension struct {
	URL       string `json:"url"`
	ValueCode string `json:"valueCode,omitempty"`
}

type compose struct {
	Include []include `json:"include"`
	Exclude []include `json:"exclude,omitempty"`
}

type include struct {
	System   string    `json:"system,omitempty"`
	Version  string    `json:"version,omitempty"`
	Concept  []concept `json:"concept,omitempty"`
	Filter   []filter  `json:"filter,omitempty"`
	ValueSet []string  `json:"valueSet,omitempty"`
}

type concept struct {
	Code      string      `json:"code"`
	Display   string      `json:"display,omitempty"`
	Extension []extension `json:"extension,omitempty"`
}

type filter struct {
	Property string `json:"property"`
	Op       string `json:"op"`
	Value    string `json:"value"`
}

type expansion struct {
	Identifier string      `json:"identifier,omitempty"`
	Timestamp  string      `json:"timestamp"`
	Total      *int        `json:"total,omitempty"`
	Parameter  []parameter `json:"parameter,omitempty"`
	Contains   []contains  `json:"contains,omitempty"`
}

type parameter struct {
	Name        string `json:"name"`
	ValueURI    string `json:"valueUri,omitempty"`
	ValueString string `json:"valueString,omitempty"`
}

type contains struct {
	System    string      `json:"system,omitempty"`
	Version   string      `json:"version,omitempty"`
	Code      string      `json:"code,omitempty"`
	Display   string      `json:"display,omitempty"`
	Extension []extension `json:"extension,omitempty"`
	Contains  []contains  `json:"contains,omitempty"`
}

type bundle struct {
	ResourceType string `json:"resourceType"`
	Entry        []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// ParseBundle reads a FHIR Bundle of expanded ValueSets (or one ValueSet).
func ParseBundle(data []byte) ([]ValueSet, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("terminology: %w", err)
	}
	if head.ResourceType == "ValueSet" {
		vs, err := ParseValueSet(data)
		if err != nil {
			return nil, err
		}
		return []ValueSet{vs}, nil
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("terminology: %w", err)
	}
	if b.ResourceType != "Bundle" {
		return nil, fmt.Errorf("terminology: resourceType %q, want Bundle or ValueSet", b.ResourceType)
	}
	out := make([]ValueSet, 0, len(b.Entry))
	for i, e := range b.Entry {
		vs, err := ParseValueSet(e.Resource)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, vs)
	}
	return out, nil
}

// ParseValueSet reads one expanded ValueSet, such as the answer of a
// terminology server's ValueSet/$expand.
func ParseValueSet(data []byte) (ValueSet, error) {
	var j jsonValueSet
	if err := json.Unmarshal(data, &j); err != nil {
		return ValueSet{}, fmt.Errorf("terminology: %w", err)
	}
	if j.ResourceType != "ValueSet" {
		return ValueSet{}, fmt.Errorf("terminology: resourceType %q, want ValueSet", j.ResourceType)
	}
	if j.Expansion == nil {
		return ValueSet{}, fmt.Errorf("terminology: ValueSet %q has no expansion", j.URL)
	}
	vs := ValueSet{ID: j.ID, URL: j.URL, Version: j.Version, Title: j.Title, Meanings: meanings(j.Extension)}
	var walk func([]contains)
	walk = func(cs []contains) {
		for _, c := range cs {
			if c.Code != "" {
				vs.Contains = append(vs.Contains, Concept{System: c.System, Code: c.Code, Display: c.Display, Meanings: meanings(c.Extension)})
			}
			walk(c.Contains)
		}
	}
	walk(j.Expansion.Contains)
	for _, p := range j.Expansion.Parameter {
		if p.Name == "used-valueset" && p.ValueURI != "" {
			vs.Sources = append(vs.Sources, p.ValueURI)
		}
	}
	if j.Compose != nil {
		for _, inc := range j.Compose.Include {
			for _, f := range inc.Filter {
				if f.Property != "display" || f.Op != "regex" {
					continue
				}
				re, err := regexp.Compile(f.Value)
				if err != nil {
					return ValueSet{}, fmt.Errorf("terminology: ValueSet %q: display filter: %w", j.URL, err)
				}
				vs.Patterns = append(vs.Patterns, DisplayPattern{System: inc.System, Regexp: re})
			}
		}
	}
	return vs, nil
}

func meanings(exts []extension) []string {
	var out []string
	for _, e := range exts {
		if e.URL == MeaningURL && strings.Contains(e.ValueCode, ":") {
			out = append(out, e.ValueCode)
		}
	}
	return out
}
