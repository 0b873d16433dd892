// Package terminology holds the value sets the service uses, as data: FHIR
// R4 ValueSet resources with their expansions, generated from published
// sources and embedded in the binary.
//
// source/ holds the inputs, each with its provenance (source/README.md):
// VSAC value sets as published in the eCQM content repositories, an
// extract of Synthea's injuries module, and the project's own definitions
// (source/fracturecds/*.json: which codes, groups and published value sets
// make up each concept the rules use, and what that concept means to them,
// in the meaning extension). gen expands the definitions against the
// published files into expansions.json, which this package embeds; so a
// new release of a source is a reviewed change of data files, and
// regenerating is
//
//	go generate ./fhir/terminology
//
// The package reads only what it generated (and what a FHIR terminology
// server answers to ValueSet/$expand, which has the same shape); the
// meaning of each value set for the rules is applied by package fhir.
package terminology

//go:generate go run ./gen -source source -out expansions.json
