package hooks

import (
	"errors"
	"net/http"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/auth"
)

// Errors the handlers raise. The message of a requestError is safe to show
// the client (it names a field, never a value from the request).
var (
	errNotFound         = errors.New("unknown CDS service")
	errUnsupportedMedia = errors.New("content type must be application/json")
	errBodyTooLarge     = errors.New("request body too large")
	errOverloaded       = errors.New("service busy, retry shortly")
	// errStorageUnavailable is feedback the store did not take (database
	// gone, unwritable or unreachable): 503 with Retry-After, never 200.
	errStorageUnavailable = errors.New("feedback could not be stored, retry later")
	// errClientClosed is a request the client abandoned; it is answered
	// (to nobody) and logged as 499, nginx's "client closed request", so
	// dashboards do not count it as a failing FHIR server.
	errClientClosed = errors.New("client closed the request")
)

// requestError is a malformed or invalid request (400) with a short,
// client-safe explanation.
type requestError struct{ msg string }

func (e *requestError) Error() string { return e.msg }

func badRequest(msg string) error { return &requestError{msg: msg} }

// statusOf is the one table that maps errors to HTTP statuses. Anything
// not listed is a 500 with a generic body.
func statusOf(err error) (status int, clientMessage string) {
	var re *requestError
	switch {
	case errors.Is(err, errClientClosed):
		return statusClientClosed, "client closed the request"
	case errors.As(err, &re):
		return http.StatusBadRequest, re.msg
	case errors.Is(err, fhir.ErrInvalidInput):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, errNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, errUnsupportedMedia):
		return http.StatusUnsupportedMediaType, err.Error()
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.As(err, new(*auth.Error)):
		// No detail: the reason is logged, never told to the caller.
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, errOverloaded):
		return http.StatusServiceUnavailable, err.Error()
	case errors.Is(err, errStorageUnavailable):
		// The store's error stays in the log; the client learns only that
		// it should retry.
		return http.StatusServiceUnavailable, errStorageUnavailable.Error()
	case errors.Is(err, fhir.ErrDataUnavailable):
		// CDS Hooks 2.0.1 §Prefetch Template: SHALL respond 412 when required
		// data can be neither prefetched nor fetched.
		return http.StatusPreconditionFailed, err.Error()
	}
	return http.StatusInternalServerError, "internal error"
}

// statusClientClosed is nginx's non-standard "client closed request".
const statusClientClosed = 499

// outcome is a minimal FHIR OperationOutcome, the error body CDS Hooks 3.0
// recommends and EHR integration engineers can read.
type outcome struct {
	ResourceType string         `json:"resourceType"`
	Issue        []outcomeIssue `json:"issue"`
}

type outcomeIssue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics,omitempty"`
}

func newOutcome(status int, msg string) outcome {
	code := "exception"
	switch status {
	case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusRequestEntityTooLarge:
		code = "invalid"
	case http.StatusNotFound:
		code = "not-found"
	case http.StatusPreconditionFailed:
		code = "incomplete"
	case http.StatusUnauthorized:
		code = "login"
	case http.StatusMethodNotAllowed:
		code = "not-supported"
	case http.StatusServiceUnavailable:
		code = "transient"
	}
	return outcome{ResourceType: "OperationOutcome", Issue: []outcomeIssue{{Severity: "error", Code: code, Diagnostics: msg}}}
}
