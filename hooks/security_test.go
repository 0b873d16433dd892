package hooks

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fracturecds/fracturecds/hooks/auth"
	"github.com/fracturecds/fracturecds/rules"
)

func newSecurityHandler(origins []string, hsts bool) http.Handler {
	return NewHandler(Config{
		Facts: staticFacts(pieterse()), Thresholds: rules.DefaultThresholds(),
		Prefetch: map[string]string{"patient": "Patient/{{context.patientId}}"},
		Now:      func() time.Time { return testNow }, CORSAllowedOrigins: origins, HSTS: hsts,
	})
}

// TestSecurityHeadersOnEveryResponse: successes, errors and probes all
// carry them; HSTS only when serving TLS.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
		"X-Frame-Options":         "DENY",
	}
	for _, hsts := range []bool{false, true} {
		h := newSecurityHandler(nil, hsts)
		for _, tt := range []struct{ method, path, body string }{
			{http.MethodPost, "/cds-services/" + ServicePatientView, validPatientView},
			{http.MethodPost, "/cds-services/" + ServicePatientView, "{"},
			{http.MethodGet, "/cds-services", ""},
			{http.MethodGet, "/nope", ""},
			{http.MethodGet, "/healthz", ""},
		} {
			rec := do(h, tt.method, tt.path, tt.body, "")
			got := map[string]string{}
			for k := range want {
				got[k] = rec.Header().Get(k)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s (status %d) headers (-want +got):\n%s", tt.method, tt.path, rec.Code, diff)
			}
			if g := rec.Header().Get("Strict-Transport-Security"); (g != "") != hsts {
				t.Errorf("%s %s: HSTS %q with TLS=%v", tt.method, tt.path, g, hsts)
			}
		}
	}
}

// TestCORSPreflightAndAllowList: an allow-listed origin gets a 204
// preflight allowing Authorization and Content-Type (before any token
// check: browsers send none on preflights); other origins get no CORS
// grant; with no origins configured CORS is off.
func TestCORSPreflightAndAllowList(t *testing.T) {
	const sandbox = "https://sandbox.cds-hooks.org"
	h := newSecurityHandler([]string{sandbox + "/"}, false)
	for _, path := range []string{"/cds-services", "/cds-services/" + ServicePatientView, "/cds-services/" + ServicePatientView + "/feedback"} {
		req := httptest.NewRequest(http.MethodOptions, path, nil)
		req.Header.Set("Origin", sandbox)
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got := map[string]any{
			"status":  rec.Code,
			"origin":  rec.Header().Get("Access-Control-Allow-Origin"),
			"headers": rec.Header().Get("Access-Control-Allow-Headers"),
			"methods": rec.Header().Get("Access-Control-Allow-Methods"),
		}
		want := map[string]any{"status": http.StatusNoContent, "origin": sandbox, "headers": "Authorization,Content-Type,Accept,Accept-Language", "methods": "GET,POST,OPTIONS"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("preflight %s (-want +got):\n%s", path, diff)
		}
	}

	req := httptest.NewRequest(http.MethodGet, "/cds-services", nil)
	req.Header.Set("Origin", sandbox)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != sandbox {
		t.Errorf("simple GET from the allowed origin: %d, ACAO %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}

	for _, hh := range []http.Handler{h, newSecurityHandler(nil, false)} {
		req := httptest.NewRequest(http.MethodOptions, "/cds-services", nil)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		rec := httptest.NewRecorder()
		hh.ServeHTTP(rec, req)
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" || rec.Code == http.StatusNoContent {
			t.Errorf("preflight from a foreign origin: status %d, ACAO %q", rec.Code, got)
		}
	}
}

func TestCheckCORSOrigins(t *testing.T) {
	got := CheckCORSOrigins([]string{"https://ok.example", "https://ok.example:8443/", "*", "https://*.example", "ok.example", "https://ok.example/path"})
	if len(got) != 4 {
		t.Errorf("want 4 problems, got %d: %v", len(got), got)
	}
}

// TestCORSPreflightNeedsNoToken: with authentication on, a preflight is
// still answered (browsers never send Authorization on one), while the
// actual call without a token is refused.
func TestCORSPreflightNeedsNoToken(t *testing.T) {
	a := mustAuth(t, auth.Config{PublicBaseURL: testBase, Issuers: []auth.Issuer{{Iss: testIss, JWKSFile: "testdata/auth/spec-example-jwks.json"}}})
	h := NewHandler(Config{Facts: staticFacts(pieterse()), Thresholds: rules.DefaultThresholds(), Auth: a, CORSAllowedOrigins: []string{"https://sandbox.cds-hooks.org"}})
	req := httptest.NewRequest(http.MethodOptions, "/cds-services/"+ServicePatientView, nil)
	req.Header.Set("Origin", "https://sandbox.cds-hooks.org")
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Errorf("preflight with auth on: status %d, want 204", rec.Code)
	}
	if rec := do(h, http.MethodPost, "/cds-services/"+ServicePatientView, validPatientView, ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("call without a token: status %d, want 401", rec.Code)
	}
}

// TestRequestTextInEvidenceLabelsIsEscaped: rules put request-derived text
// (a draft order's medication name, a lab code) into evidence labels; an
// EHR rendering raw HTML inside the Markdown detail must see it as text.
func TestRequestTextInEvidenceLabelsIsEscaped(t *testing.T) {
	const hostile = `<img src=x onerror=alert(1)> [click](javascript:alert(1)) | **x**`
	b := cardBuilder{lang: "en", now: testNow, newUUID: seqUUID()}
	c := b.card(rules.Finding{
		Topic: "t", Indicator: rules.Warning,
		Summary:  rules.Text{NL: "s", EN: "s"},
		Detail:   rules.Text{NL: "d", EN: "d"},
		Evidence: []rules.Evidence{{Label: rules.Text{NL: "Stop " + hostile, EN: "Stop " + hostile}, Value: hostile, Source: rules.Ref(hostile)}},
	})
	for _, bad := range []string{"<img", "[click](", "| **x**"} {
		if strings.Contains(c.Detail, bad) || strings.Contains(c.Summary, bad) {
			t.Errorf("card text contains %q unescaped:\n%s", bad, c.Detail)
		}
	}
}
