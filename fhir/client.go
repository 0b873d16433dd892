package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// fetcher is the FHIR-server fallback for one request: it GETs
// {fhirServer}/{query} with the request's bearer token. It only ever sends
// the token to URLs under fhirServer (same scheme, host and path prefix).
type fetcher struct {
	client    *http.Client
	base      *url.URL
	token     string
	patientID string
	maxPages  int
	maxBytes  int64
}

// newFetcher returns the fetcher for in, or an error saying why the FHIR
// server cannot be used (no fhirServer, no token, an unusable URL, or a
// server the allow-list rejects). The error never contains the token.
func newFetcher(in Input, o Options) (*fetcher, error) {
	switch {
	case in.FHIRServerRefused:
		return nil, errors.New("the request's fhirServer is not on the allow-list (auth.issuers[].fhir_servers; without auth.issuers only loopback servers), so it was not contacted")
	case in.FHIRServer == "":
		return nil, errors.New("the request has no fhirServer to fetch from")
	case in.AccessToken == "" && !in.OpenServer:
		return nil, errors.New("the request has no fhirAuthorization.access_token for its fhirServer")
	}
	base, err := url.Parse(strings.TrimRight(in.FHIRServer, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" ||
		base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, errors.New("fhirServer is not a usable http(s) base URL")
	}
	if o.AllowServer != nil && !o.AllowServer(base.String()) {
		return nil, errors.New("fhirServer is not allowed (not on the allow-list), so it was not contacted")
	}
	return &fetcher{
		client:    o.HTTPClient,
		base:      base,
		token:     in.AccessToken,
		patientID: in.PatientID,
		maxPages:  o.MaxPages,
		maxBytes:  o.MaxResponseBytes,
	}, nil
}

// urlFor returns the absolute URL of a relative query such as
// "Condition?patient=1".
func (f *fetcher) urlFor(query string) string {
	return f.base.String() + "/" + query
}

// onServer reports whether u lies under fhirServer: same scheme, same host
// and port, no user info, and a path below fhirServer's path. Only such
// URLs get the token.
func (f *fetcher) onServer(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, f.base.Scheme) || !strings.EqualFold(u.Host, f.base.Host) || u.User != nil {
		return false
	}
	prefix := strings.TrimRight(f.base.Path, "/") + "/"
	return strings.HasPrefix(path.Clean("/"+u.Path)+"/", prefix)
}

// fetchKey reads key starting at start, following next links on the same
// server for at most maxPages pages, and decodes every page into a fresh
// resources. A next link elsewhere, or one past the page cap, is not
// followed and leaves a gap "results for <key> incomplete". Any failed
// page fails the key with ErrDataUnavailable (or ErrInvalidInput for data
// about another patient).
func (f *fetcher) fetchKey(ctx context.Context, key, start string) (*resources, error) {
	res := &resources{}
	cur, err := url.Parse(start)
	if err != nil {
		res.gaps = append(res.gaps, incomplete(key))
		return res, nil
	}
	visited := map[string]bool{}
	for page := 1; ; page++ {
		// A server whose next link points back at a page already read would
		// otherwise be fetched until MaxPages.
		if visited[cur.String()] {
			return res, nil
		}
		visited[cur.String()] = true
		if !f.onServer(cur) {
			res.gaps = append(res.gaps, incomplete(key))
			return res, nil
		}
		body, err := f.get(ctx, key, cur.String())
		if err != nil {
			return nil, err
		}
		next, err := decodeValue(key, body, f.patientID, res)
		if err != nil {
			if isWrongPatient(err) {
				// The request was right; the EHR's server answered with
				// another patient's data. None of it is used, and the
				// message says so (412, not a 400 blaming the request).
				return nil, fmt.Errorf("FHIR server, key %s: returned data about another patient: %w", key, ErrDataUnavailable)
			}
			// Anything else the server sent that we cannot use is the
			// server's failure, not the request's.
			return nil, fmt.Errorf("FHIR server, key %s: unusable response: %w", key, ErrDataUnavailable)
		}
		if next == "" {
			return res, nil
		}
		if page >= f.maxPages {
			res.gaps = append(res.gaps, incomplete(key))
			return res, nil
		}
		nextURL, err := cur.Parse(next)
		if err != nil {
			res.gaps = append(res.gaps, incomplete(key))
			return res, nil
		}
		cur = nextURL
	}
}

// get performs one GET and returns the body of a 200 response holding a
// resource other than an OperationOutcome. Errors wrap ErrDataUnavailable
// with the key and a short reason; they never contain the URL (it carries
// the patient id) or the token.
func (f *fetcher) get(ctx context.Context, key, u string) ([]byte, error) {
	fail := func(reason string) error {
		return fmt.Errorf("FHIR server, key %s: %s: %w", key, reason, ErrDataUnavailable)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fail("cannot build request")
	}
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fail(failureReason(ctx, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail(fmt.Sprintf("HTTP %d", resp.StatusCode))
	}
	// Read one byte past the cap so that an oversized body is detected
	// and refused instead of silently truncated into a partial answer.
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBytes+1))
	if err != nil {
		return nil, fail(failureReason(ctx, err))
	}
	if int64(len(body)) > f.maxBytes {
		return nil, fail(fmt.Sprintf("response larger than %d bytes", f.maxBytes))
	}
	var h header
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, fail("bad JSON")
	}
	if h.ResourceType == "OperationOutcome" {
		return nil, fail("OperationOutcome")
	}
	return body, nil
}

// failureReason names a transport failure without echoing the error (a
// *url.Error carries the URL, and with it the patient id).
func failureReason(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(ctx.Err(), context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "connection failed"
}

// noRedirects keeps the client from following redirects: a redirect could
// lead the bearer token off fhirServer. A 3xx is reported as a failure.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
