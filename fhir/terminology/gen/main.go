// Command gen expands the project's value set definitions
// (source/fracturecds/*.json) against the published value sets under
// source/ (every other *.json there) and writes the FHIR Bundle of expanded
// ValueSets that package terminology embeds. Run it with go generate in
// fhir/terminology.
//
// A definition's compose is read as FHIR R4 says, with two conventions a
// terminology server that knows the code systems would not need:
//   - filter "concept is-a X" on a hierarchical code system (ATC, ICD-10,
//     ICD-10-CM, ICPC) is expanded to the code X itself; package fhir
//     matches codes of those systems by their longest listed prefix, which
//     is how their hierarchies are built.
//   - include.valueSet takes the expansion of a published value set, and
//     filter "display regex R" keeps the codes whose published display
//     matches R (how products are assigned to an ingredient: by their
//     RxNorm normalised name).
//
// It fails when a code is both in a fracture value set and in the excluded
// fracture value set, so an update of a source cannot silently make an
// excluded fracture count.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	source := flag.String("source", "source", "directory of the source files")
	out := flag.String("out", "expansions.json", "file to write")
	timestamp := flag.String("timestamp", "2026-12-08T00:00:00Z", "expansion timestamp (fixed, so the output only changes with its inputs)")
	flag.Parse()
	data, err := generate(*source, *timestamp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// Only the members used are declared; encoding/json keeps their order.
type valueSet struct {
	ResourceType string      `json:"resourceType"`
	ID           string      `json:"id"`
	URL          string      `json:"url"`
	Version      string      `json:"version"`
	Name         string      `json:"name,omitempty"`
	Title        string      `json:"title,omitempty"`
	Status       string      `json:"status"`
	Description  string      `json:"description,omitempty"`
	Extension    []extension `json:"extension,omitempty"`
	Compose      *compose    `json:"compose,omitempty"`
	Expansion    *expansion  `json:"expansion,omitempty"`
}

type extension struct {
	URL       string `json:"url"`
	ValueCode string `json:"valueCode"`
}

type compose struct {
	Include []include `json:"include"`
	Exclude []include `json:"exclude,omitempty"`
}

type include struct {
	System   string    `json:"system,omitempty"`
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
	Identifier string      `json:"identifier"`
	Timestamp  string      `json:"timestamp"`
	Total      int         `json:"total"`
	Parameter  []parameter `json:"parameter,omitempty"`
	Contains   []contains  `json:"contains"`
}

type parameter struct {
	Name     string `json:"name"`
	ValueURI string `json:"valueUri"`
}

type contains struct {
	System    string      `json:"system"`
	Code      string      `json:"code"`
	Display   string      `json:"display,omitempty"`
	Extension []extension `json:"extension,omitempty"`
}

type entry struct {
	Resource valueSet `json:"resource"`
}

type bundle struct {
	ResourceType string  `json:"resourceType"`
	ID           string  `json:"id,omitempty"`
	Type         string  `json:"type"`
	Entry        []entry `json:"entry"`
}

const meaningURL = "https://fracturecds.org/fhir/StructureDefinition/meaning"

// published is a source value set's expansion.
type published struct {
	url, version string
	contains     []contains
}

func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// loadPublished reads every ValueSet with an expansion under dir, except
// the project's definitions.
func loadPublished(dir string) (map[string]published, error) {
	out := map[string]published{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "fracturecds" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		var vs struct {
			ResourceType string `json:"resourceType"`
			URL          string `json:"url"`
			Version      string `json:"version"`
			Expansion    *struct {
				Contains []contains `json:"contains"`
			} `json:"expansion"`
		}
		if err := readJSON(path, &vs); err != nil {
			return err
		}
		if vs.ResourceType != "ValueSet" || vs.Expansion == nil {
			return fmt.Errorf("%s: not an expanded ValueSet", path)
		}
		if _, dup := out[vs.URL]; dup {
			return fmt.Errorf("%s: value set %s twice", path, vs.URL)
		}
		out[vs.URL] = published{url: vs.URL, version: vs.Version, contains: vs.Expansion.Contains}
		return nil
	})
	return out, err
}

// hierarchical are the code systems whose codes are matched by prefix.
var hierarchical = map[string]bool{
	"http://www.whocc.no/atc":              true,
	"http://hl7.org/fhir/sid/icd-10":       true,
	"http://hl7.org/fhir/sid/icd-10-cm":    true,
	"http://hl7.org/fhir/sid/icpc-2":       true,
	"urn:oid:2.16.840.1.113883.2.4.4.31.1": true,
}

func generate(dir, timestamp string) ([]byte, error) {
	pub, err := loadPublished(dir)
	if err != nil {
		return nil, err
	}
	// Displays of the published sources, for definitions that list a code
	// without one.
	displays := map[string]string{}
	for _, p := range sortedPublished(pub) {
		for _, c := range p.contains {
			k := c.System + "|" + c.Code
			if _, ok := displays[k]; !ok && c.Display != "" {
				displays[k] = c.Display
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "fracturecds", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := bundle{ResourceType: "Bundle", ID: "fracturecds-terminology", Type: "collection"}
	for _, f := range files {
		var b struct {
			Entry []struct {
				Resource valueSet `json:"resource"`
			} `json:"entry"`
		}
		if err := readJSON(f, &b); err != nil {
			return nil, err
		}
		for _, e := range b.Entry {
			vs, err := expand(e.Resource, pub, displays, timestamp)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", filepath.Base(f), e.Resource.ID, err)
			}
			out.Entry = append(out.Entry, entry{Resource: vs})
		}
	}
	if err := checkFractureConflicts(out); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func sortedPublished(pub map[string]published) []published {
	out := make([]published, 0, len(pub))
	for _, p := range pub {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].url < out[j].url })
	return out
}

// expand computes a definition's expansion.
func expand(def valueSet, pub map[string]published, displays map[string]string, timestamp string) (valueSet, error) {
	if def.Compose == nil {
		return valueSet{}, errors.New("no compose")
	}
	var list []contains
	seen := map[string]int{}
	used := map[string]bool{}
	add := func(c contains) {
		k := c.System + "|" + c.Code
		if i, ok := seen[k]; ok {
			list[i].Extension = append(list[i].Extension, c.Extension...)
			return
		}
		seen[k] = len(list)
		list = append(list, c)
	}
	for _, inc := range def.Compose.Include {
		cs, err := members(inc, pub, displays, used)
		if err != nil {
			return valueSet{}, err
		}
		for _, c := range cs {
			add(c)
		}
	}
	for _, exc := range def.Compose.Exclude {
		cs, err := members(exc, pub, displays, used)
		if err != nil {
			return valueSet{}, err
		}
		for _, c := range cs {
			k := c.System + "|" + c.Code
			if i, ok := seen[k]; ok {
				list[i].Code = "" // dropped below
			}
		}
	}
	kept := list[:0]
	for _, c := range list {
		if c.Code != "" {
			kept = append(kept, c)
		}
	}
	vs := def
	vs.Expansion = &expansion{
		Identifier: "urn:fracturecds:expansion:" + def.ID + ":" + def.Version,
		Timestamp:  timestamp,
		Total:      len(kept),
		Contains:   kept,
	}
	urls := make([]string, 0, len(used))
	for u := range used {
		urls = append(urls, u)
	}
	sort.Strings(urls)
	for _, u := range urls {
		vs.Expansion.Parameter = append(vs.Expansion.Parameter, parameter{Name: "used-valueset", ValueURI: u + "|" + pub[u].version})
	}
	return vs, nil
}

// members returns the codes one include (or exclude) selects.
func members(inc include, pub map[string]published, displays map[string]string, used map[string]bool) ([]contains, error) {
	var display *regexp.Regexp
	var isA []string
	for _, f := range inc.Filter {
		switch {
		case f.Property == "display" && f.Op == "regex":
			re, err := regexp.Compile(f.Value)
			if err != nil {
				return nil, err
			}
			display = re
		case f.Property == "concept" && f.Op == "is-a":
			if !hierarchical[inc.System] {
				return nil, fmt.Errorf("is-a %s: %s is not matched by prefix", f.Value, inc.System)
			}
			isA = append(isA, f.Value)
		default:
			return nil, fmt.Errorf("unsupported filter %s %s", f.Property, f.Op)
		}
	}
	var out []contains
	for _, c := range inc.Concept {
		d := c.Display
		if d == "" {
			d = displays[inc.System+"|"+c.Code]
		}
		out = append(out, contains{System: inc.System, Code: c.Code, Display: d, Extension: c.Extension})
	}
	for _, code := range isA {
		out = append(out, contains{System: inc.System, Code: code, Display: displays[inc.System+"|"+code]})
	}
	for _, u := range inc.ValueSet {
		p, ok := pub[u]
		if !ok {
			return nil, fmt.Errorf("value set %s is not under source/", u)
		}
		used[u] = true
		for _, c := range p.contains {
			if inc.System != "" && c.System != inc.System {
				continue
			}
			if display != nil && !display.MatchString(c.Display) {
				continue
			}
			out = append(out, contains{System: c.System, Code: c.Code, Display: c.Display})
		}
	}
	if len(inc.ValueSet) == 0 && display != nil && len(inc.Concept) == 0 && len(isA) == 0 {
		// A display pattern alone: it is applied by package fhir to codes
		// of the system it has never seen (an RxNorm product by its
		// name), and selects nothing here.
		return nil, nil
	}
	return out, nil
}

// checkFractureConflicts rejects a code that is both an included and an
// excluded fracture.
func checkFractureConflicts(b bundle) error {
	included, excluded := map[string]string{}, map[string]string{}
	for _, e := range b.Entry {
		vs := e.Resource
		var fx, excl bool
		for _, x := range vs.Extension {
			fx = fx || x.URL == meaningURL && x.ValueCode == "concept:fracture"
			excl = excl || x.URL == meaningURL && x.ValueCode == "concept:fracture-excluded"
		}
		for _, c := range vs.Expansion.Contains {
			k := c.System + "|" + c.Code
			if fx {
				included[k] = vs.ID
			}
			if excl {
				excluded[k] = vs.ID
			}
		}
	}
	var bad []string
	for k, id := range included {
		if x, ok := excluded[k]; ok {
			bad = append(bad, fmt.Sprintf("%s in %s and %s", k, id, x))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("codes both included and excluded as fractures: %s", strings.Join(bad, "; "))
	}
	return nil
}
