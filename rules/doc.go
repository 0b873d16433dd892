// Package rules holds the clinical decision logic of fracturecds: pure
// functions from Facts (what is known about one patient at one moment) to
// Findings (advice with its evidence, threshold and guideline citation).
//
// It implements the rule catalog in shared/design/rules.md (topics R01–R28),
// built on the Dutch NHG-Standaard Fractuurpreventie, the NIV 2022 guideline
// "Osteoporose en fractuurpreventie", the ECTS denosumab position statements
// and the product SmPCs. Every number lives in thresholds.go with its source.
//
// The package imports only the standard library: no HTTP, FHIR or logging.
// Terminology (which code means eGFR) is decided in package fhir; clinical
// judgement (eGFR < 30 with a bisphosphonate is critical) is decided here.
// One file per rule, named after its topic code, holds the logic and the
// Dutch and English card text so that clinicians review them together.
package rules
