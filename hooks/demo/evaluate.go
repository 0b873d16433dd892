package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/fracturecds/fracturecds/hooks"
)

// AsOfExtension is the member of a request's `extension` object that
// carries the moment the request is meant to be evaluated at, so that a
// recorded case (testdata/seeds) gives the cards of its day without
// --as-of. Only `fracturecds eval` and the demo read it; the service
// itself always evaluates at the current time and ignores it, as it
// ignores every extension (a client must not set the service's clock).
//
//	"extension": {"org.fracturecds.as-of": "2013-12-16T09:00:00Z"}
const AsOfExtension = "org.fracturecds.as-of"

// Result is the service's answer to one request.
type Result struct {
	// Status is the HTTP status the service answered.
	Status int
	// Body is the response body as the service sent it.
	Body []byte
	// Language is the card language (the Content-Language answered).
	Language string
	// Response is Body decoded (status 200 only).
	Response hooks.Response
	// Hook and Service name what was called.
	Hook, Service string
}

// ServiceFor returns the fracturecds service id of a hook.
func ServiceFor(hook string) (string, bool) {
	id, ok := map[string]string{
		"patient-view": hooks.ServicePatientView,
		"order-select": hooks.ServiceOrderSelect,
		"order-sign":   hooks.ServiceOrderSign,
	}[hook]
	return id, ok
}

// header is what the demo reads of a request itself: which hook, and the
// as-of extension.
type header struct {
	Hook      string                     `json:"hook"`
	Extension map[string]json.RawMessage `json:"extension"`
}

func readHeader(body []byte) (header, error) {
	var h header
	if err := json.Unmarshal(body, &h); err != nil {
		return h, fmt.Errorf("not a JSON CDS Hooks request: %w", err)
	}
	return h, nil
}

// AsOf returns the evaluation moment a request carries in its extension
// (AsOfExtension); ok is false when it carries none.
func AsOf(body []byte) (t time.Time, ok bool, err error) {
	h, err := readHeader(body)
	if err != nil {
		return time.Time{}, false, err
	}
	raw, found := h.Extension[AsOfExtension]
	if !found {
		return time.Time{}, false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return time.Time{}, false, fmt.Errorf("extension %q: want a date string: %w", AsOfExtension, err)
	}
	t, err = ParseDate(s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("extension %q: %w", AsOfExtension, err)
	}
	return t, true, nil
}

// ParseDate reads an evaluation date: RFC 3339, or YYYY-MM-DD meaning
// midday UTC, which is the same date in every European time zone.
func ParseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD or RFC 3339", s)
	}
	return t.Add(12 * time.Hour), nil
}

// ErrHookNotServed is returned for a request whose hook no fracturecds
// service answers.
var ErrHookNotServed = errors.New("hook is not served (patient-view, order-select, order-sign)")

// Evaluate posts body to the service handler svc as an EHR would, asking
// for cards in lang ("nl" or "en"), and returns its answer. A non-200
// answer is a Result, not an error: the page shows what the service said.
func Evaluate(ctx context.Context, svc http.Handler, body []byte, lang string) (Result, error) {
	h, err := readHeader(body)
	if err != nil {
		return Result{}, err
	}
	id, ok := ServiceFor(h.Hook)
	if !ok {
		return Result{}, fmt.Errorf("hook %q: %w", h.Hook, ErrHookNotServed)
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/cds-services/"+id, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, req)
	r := Result{Status: rec.Code, Body: rec.Body.Bytes(), Language: rec.Header().Get("Content-Language"), Hook: h.Hook, Service: id}
	if r.Status == http.StatusOK {
		if err := json.Unmarshal(r.Body, &r.Response); err != nil {
			return r, fmt.Errorf("the service answered JSON that is not a CDS Hooks response: %w", err)
		}
	}
	return r, nil
}
