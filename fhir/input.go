package fhir

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/fracturecds/fracturecds/rules"
)

// Sentinel errors. Package hooks maps them to HTTP statuses in one table.
var (
	// ErrDataUnavailable means required data could be neither prefetched nor
	// fetched from the FHIR server (CDS Hooks: 412 Precondition Failed).
	ErrDataUnavailable = errors.New("required FHIR data unavailable")
	// ErrInvalidInput means the request carried FHIR data that is not what
	// the key or context field promises (a prefetch key holding the wrong
	// resource type, a draftOrders value that is not a Bundle): 400.
	ErrInvalidInput = errors.New("invalid FHIR input")
)

// Input is the FHIR side of one CDS Hooks request, already validated by
// package hooks for protocol-level shape.
type Input struct {
	Hook rules.Hook
	// PatientID is the bare Patient.id ("Patient/" prefix removed).
	PatientID string
	// FHIRServer is the EHR's FHIR base URL, "" when not given.
	FHIRServer string
	// FHIRServerRefused says that the request named a fhirServer the
	// allow-list refused (package hooks then clears FHIRServer and
	// AccessToken), so that a 412 says "refused" rather than "absent".
	FHIRServerRefused bool
	// AccessToken is fhirAuthorization.access_token, "" when not given. It is
	// sent only to FHIRServer and never logged or stored.
	AccessToken string
	// OpenServer allows FHIRServer to be read without an access token: an
	// open test server (no authorization), as the bone-health view meets
	// when launched against one. Requests then carry no Authorization
	// header. CDS Hooks requests never set it.
	OpenServer bool
	// Prefetch holds each prefetch key the client sent. A key absent from
	// the map was not sent; a value equal to JSON null means "known empty".
	Prefetch map[string]json.RawMessage
	// DraftOrders is context.draftOrders (order-select, order-sign), nil
	// for patient-view.
	DraftOrders json.RawMessage
	// Selections is context.selections (order-select), "Type/id" strings.
	Selections []string
	// AsOf is the evaluation moment T.
	AsOf time.Time
}
