// Package hooks serves the CDS Hooks 2.0.1 protocol over HTTP with gin:
// discovery (GET /cds-services), the patient-view, order-select and
// order-sign services (POST /cds-services/{id}), health and readiness.
//
// It validates requests to the letter of the specification
// (shared/design/cds-hooks.md), hands the FHIR side to package fhir, the
// clinical side to package rules, and turns findings into cards: a uuid on
// every card and suggestion, summaries under 140 runes, selectionBehavior
// whenever there are suggestions, override reasons with a display, absolute
// links, complete FHIR R4 resources in actions, and no JSON null or empty
// value anywhere except {"cards": []}. Card text is Dutch or English: the
// configured language, or per request by Accept-Language when
// Config.IgnoreAcceptLanguage is off.
//
// Every route is registered in handler.go; every error is mapped to an HTTP
// status in errors.go.
package hooks
