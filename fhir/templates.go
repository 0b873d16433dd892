package fhir

import (
	"maps"
	"net/url"
	"strings"
)

// Prefetch keys. They are a contract with EHRs and test fixtures: every
// fracturecds service advertises the same keys with the same templates, and
// every key is required (a key that is neither prefetched nor fetchable
// makes the request fail with ErrDataUnavailable).
const (
	// KeyPatient holds the Patient (a read).
	KeyPatient = "patient"
	// KeyConditions holds a searchset Bundle of the patient's Conditions.
	KeyConditions = "conditions"
	// KeyDXA holds a searchset Bundle of DXA Observations.
	KeyDXA = "dxa"
	// KeyLabs holds a searchset Bundle of the laboratory Observations the
	// rules read.
	KeyLabs = "labs"
	// KeyMedicationStatements holds a searchset Bundle of MedicationStatements.
	KeyMedicationStatements = "medicationStatements"
	// KeyMedicationRequests holds a searchset Bundle of MedicationRequests.
	KeyMedicationRequests = "medicationRequests"
	// KeyMedicationAdministrations holds a searchset Bundle of
	// MedicationAdministrations.
	KeyMedicationAdministrations = "medicationAdministrations"
	// KeyServiceRequests holds a searchset Bundle of ServiceRequests.
	KeyServiceRequests = "serviceRequests"
)

// patientToken is the only prefetch token the templates use
// (cds-hooks.md §D item 13).
const patientToken = "{{context.patientId}}"

// prefetchKeys lists every key in a fixed order, so that merging, error
// selection and gaps are deterministic.
var prefetchKeys = []string{
	KeyPatient,
	KeyConditions,
	KeyDXA,
	KeyLabs,
	KeyMedicationStatements,
	KeyMedicationRequests,
	KeyMedicationAdministrations,
	KeyServiceRequests,
}

// Templates returns the discovery prefetch object: key -> FHIR query
// template relative to fhirServer. The templates stay inside the CDS Hooks
// recommended subset (cds-hooks.md §D item 14: an instance read, and
// type-level searches with a reference parameter and token equality), so
// that any CDS client can satisfy them. The code lists come from the
// terminology, so a configured local lab or DXA code is also prefetched.
// The map is a copy the caller may keep or change.
func (g *Gatherer) Templates() map[string]string {
	return maps.Clone(g.templates)
}

// templates builds the prefetch templates for terminology t.
func templates(t *Terminology) map[string]string {
	search := func(resourceType string) string {
		return resourceType + "?patient=" + patientToken
	}
	withCodes := func(q string, tokens []string) string {
		if len(tokens) == 0 {
			// Without a code list the search returns every Observation;
			// extraction still filters by code, so this stays correct.
			return q
		}
		return q + "&code=" + tokenList(tokens)
	}
	return map[string]string{
		KeyPatient:                   "Patient/" + patientToken,
		KeyConditions:                search("Condition"),
		KeyDXA:                       withCodes(search("Observation"), t.SearchCodes(SearchGroupDXA)),
		KeyLabs:                      withCodes(search("Observation"), t.SearchCodes(SearchGroupLabs)),
		KeyMedicationStatements:      search("MedicationStatement"),
		KeyMedicationRequests:        search("MedicationRequest"),
		KeyMedicationAdministrations: search("MedicationAdministration"),
		KeyServiceRequests:           search("ServiceRequest"),
	}
}

// tokenList renders system|code tokens as one FHIR token search value:
// comma-separated (OR), each token's FHIR-special characters escaped with a
// backslash and the result percent-encoded for a URL query, so that "|"
// becomes %7C while ":" and "/" of the system URI stay readable.
func tokenList(tokens []string) string {
	parts := make([]string, 0, len(tokens))
	for _, tok := range tokens {
		system, code, found := strings.Cut(tok, "|")
		var v string
		if found {
			v = escapeSearchValue(system) + "|" + escapeSearchValue(code)
		} else {
			v = escapeSearchValue(tok)
		}
		parts = append(parts, escapeQueryValue(v))
	}
	return strings.Join(parts, ",")
}

// escapeSearchValue escapes the characters FHIR search gives a meaning
// inside a value (R4 search §3.1.1.6: "\", ",", "$", "|").
func escapeSearchValue(s string) string {
	return searchValueEscaper.Replace(s)
}

// searchValueEscaper is built once: a Replacer per call made 1.1 MB of
// start-up garbage (templates escape every code of every value set), which
// stayed resident in an idle service. A Replacer is safe for concurrent use.
var searchValueEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `$`, `\$`, `|`, `\|`)

// escapeQueryValue percent-encodes s for use inside a query parameter
// value. Unreserved characters and ":" "/" "@" stay as they are (RFC 3986
// allows them in a query); everything else, including "|", "&", "=", ","
// and space, is encoded.
func escapeQueryValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == ':', c == '/', c == '@':
			b.WriteByte(c)
		default:
			const hex = "0123456789ABCDEF"
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// fillTemplate replaces the patient token in a template, escaping the id
// for the part of the URL it lands in (path for a read, query for a
// search).
func fillTemplate(template, patientID string) string {
	path, query, hasQuery := strings.Cut(template, "?")
	path = strings.ReplaceAll(path, patientToken, url.PathEscape(patientID))
	if !hasQuery {
		return path
	}
	return path + "?" + strings.ReplaceAll(query, patientToken, url.QueryEscape(patientID))
}
