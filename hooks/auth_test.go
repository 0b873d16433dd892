package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/hooks/auth"
	"github.com/fracturecds/fracturecds/hooks/auth/authtest"
	"github.com/fracturecds/fracturecds/rules"
)

const (
	testBase = "https://cds.hospital.example"
	testIss  = "https://ehr.hospital.example"
)

type signer = authtest.Signer

func newSigner(t *testing.T, kid string, alg jwa.SignatureAlgorithm) signer {
	return authtest.NewSigner(t, kid, alg)
}

func jwksJSON(t *testing.T, signers ...signer) []byte { return authtest.JWKS(t, signers...) }

// claims returns a valid payload for path at now.
func claims(path string, now time.Time) map[string]any {
	return map[string]any{
		"iss": testIss,
		"aud": testBase + path,
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
		"jti": uuid.NewString(),
	}
}

func newAuthHandler(t *testing.T, a *auth.Authenticator, logger *zap.Logger) http.Handler {
	t.Helper()
	if logger == nil {
		logger = zap.NewNop()
	}
	return NewHandler(Config{
		Logger:     logger,
		Facts:      staticFacts(pieterse()),
		Thresholds: rules.DefaultThresholds(),
		Prefetch:   map[string]string{"patient": "Patient/{{context.patientId}}"},
		Now:        func() time.Time { return testNow },
		NewUUID:    seqUUID(),
		Auth:       a,
	})
}

func mustAuth(t *testing.T, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func do(h http.Handler, method, path, body, token string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestEveryRejectionReasonAnswers401WithoutDetail posts one bad token per
// check through the whole handler: each gets 401, a Bearer challenge, the
// same generic body, and its own reason in the access log only.
func TestEveryRejectionReasonAnswers401WithoutDetail(t *testing.T) {
	es := newSigner(t, "k-es384", jwa.ES384())
	rs := newSigner(t, "k-rs256", jwa.RS256())
	other := newSigner(t, "k-es384", jwa.ES384()) // same kid, another key
	attacker := newSigner(t, "k-evil", jwa.ES256())
	js := authtest.NewJWKSServer(t, jwksJSON(t, es, rs))
	evil := authtest.NewJWKSServer(t, jwksJSON(t, attacker))
	now := testNow
	const path = "/cds-services/" + ServicePatientView
	base := func() map[string]any {
		c := claims(path, now)
		c["tenant"] = "hospital-a"
		return c
	}
	with := func(k string, v any) map[string]any {
		c := base()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hsSecret := jwksJSON(t, es) // an HMAC "secret" an attacker could know
	replayed := es.Sign(t, base(), nil)

	tests := []struct {
		name, token, reason string
	}{
		{"no Authorization header", "", "no bearer token"},
		{"not a JWT", "not.a.jwt", "malformed JWS"},
		{"JWS JSON serialization", `{"payload":"e30","signatures":[]}`, "not a compact JWS"},
		{"alg none", authtest.RawToken(map[string]any{"alg": "none", "typ": "JWT", "kid": es.Kid}, base(), func(string) []byte { return nil }), "algorithm not allowed"},
		{"alg HS256 keyed with the public JWKS", authtest.RawToken(map[string]any{"alg": "HS256", "typ": "JWT", "kid": es.Kid}, base(), func(in string) []byte {
			m := hmac.New(sha256.New, hsSecret)
			m.Write([]byte(in))
			return m.Sum(nil)
		}), "algorithm not allowed"},
		{"typ missing", es.Sign(t, base(), map[string]any{"typ": nil}), "typ is not JWT"},
		{"kid missing", es.Sign(t, base(), map[string]any{"kid": nil}), "no kid"},
		{"issuer not allow-listed", es.Sign(t, with("iss", "https://evil.example"), nil), "issuer not allowed"},
		{"unknown kid", attacker.Sign(t, base(), nil), "unknown kid"},
		{"signed by another key with a known kid", other.Sign(t, base(), nil), "bad signature"},
		{"RS256 header on the EC key's kid", authtest.RawToken(map[string]any{"alg": "RS256", "typ": "JWT", "kid": es.Kid}, base(), func(string) []byte { return make([]byte, 256) }), "key type does not match alg"},
		{"jku not allow-listed, attacker keys", attacker.Sign(t, base(), map[string]any{"jku": evil.URL}), "unknown kid"},
		{"aud is another service", es.Sign(t, with("aud", testBase+"/cds-services/"+ServiceOrderSign), nil), "wrong aud"},
		{"aud built from a forged Host", es.Sign(t, with("aud", "http://evil.example"+path), nil), "wrong aud"},
		{"aud missing", es.Sign(t, with("aud", nil), nil), "wrong aud"},
		{"expired beyond skew", es.Sign(t, with("exp", now.Add(-2*time.Minute).Unix()), nil), "expired"},
		{"iat in the future beyond skew", es.Sign(t, with("iat", now.Add(2*time.Minute).Unix()), nil), "iat in the future"},
		{"exp missing", es.Sign(t, with("exp", nil), nil), "missing required claim"},
		{"iat missing", es.Sign(t, with("iat", nil), nil), "missing required claim"},
		{"jti missing", es.Sign(t, with("jti", nil), nil), "missing required claim"},
		{"lifetime over an hour", es.Sign(t, with("exp", now.Add(2*time.Hour).Unix()), nil), "lifetime too long"},
		{"tenant not allowed", es.Sign(t, with("tenant", "other-hospital"), nil), "tenant not allowed"},
		{"tenant missing", es.Sign(t, with("tenant", nil), nil), "tenant not allowed"},
		{"tenant not a string", es.Sign(t, with("tenant", 42), nil), "tenant is not a string"},
		{"jti replayed", replayed, "jti replayed"},
	}
	core, logs := observer.New(zap.InfoLevel)
	a := mustAuth(t, auth.Config{
		PublicBaseURL: testBase,
		Issuers:       []auth.Issuer{{Iss: testIss, JWKSURL: js.URL, Tenants: []string{"hospital-a"}}},
		Now:           func() time.Time { return now },
	})
	h := newAuthHandler(t, a, zap.New(core))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.TakeAll()
			token := tt.token
			if tt.reason == "jti replayed" {
				if rec := do(h, http.MethodPost, path, validPatientView, token); rec.Code != http.StatusOK {
					t.Fatalf("first use: %d %s", rec.Code, rec.Body)
				}
				logs.TakeAll()
			}
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(validPatientView))
			req.Host = "evil.example"
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			wantBody := `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"unauthorized"}]}`
			if diff := cmp.Diff(wantBody, rec.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			entries := logs.TakeAll()
			if len(entries) != 1 {
				t.Fatalf("%d log lines, want 1", len(entries))
			}
			if got := entries[0].ContextMap()["authFailure"]; got != tt.reason {
				t.Errorf("logged reason %v, want %q", got, tt.reason)
			}
			if len(token) > 20 && strings.Contains(entries[0].Message+toJSON(entries[0].ContextMap()), token[len(token)-20:]) {
				t.Errorf("log contains the token")
			}
		})
	}
	if n := evil.Fetches.Load(); n != 0 {
		t.Errorf("the non-allow-listed jku was fetched %d times", n)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestValidTokensPassOnDiscoveryServicesAndFeedback signs, with each
// allowed algorithm, a token whose aud is the exact URL of the endpoint
// called; the same token on another endpoint is refused.
func TestValidTokensPassOnDiscoveryServicesAndFeedback(t *testing.T) {
	algs := []jwa.SignatureAlgorithm{jwa.ES256(), jwa.ES384(), jwa.ES512(), jwa.RS256(), jwa.RS384(), jwa.RS512(), jwa.PS256(), jwa.PS384(), jwa.PS512()}
	var signers []signer
	for _, alg := range algs {
		signers = append(signers, newSigner(t, "kid-"+alg.String(), alg))
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(file, jwksJSON(t, signers...), 0o600); err != nil {
		t.Fatal(err)
	}
	a := mustAuth(t, auth.Config{PublicBaseURL: testBase + "/", Issuers: []auth.Issuer{{Iss: testIss, JWKSFile: file}}, Now: func() time.Time { return testNow }})
	h := newAuthHandler(t, a, nil)
	feedback := `{"feedback":[{"card":"4e0a3a1e-3283-4575-ab82-028d55fe2719","outcome":"overridden","outcomeTimestamp":"2024-03-01T09:00:00Z"}]}`
	calls := []struct {
		name, method, path, body string
	}{
		{"discovery", http.MethodGet, "/cds-services", ""},
		{"service", http.MethodPost, "/cds-services/" + ServicePatientView, validPatientView},
		{"feedback", http.MethodPost, "/cds-services/" + ServicePatientView + "/feedback", feedback},
	}
	for _, s := range signers {
		for _, call := range calls {
			t.Run(s.Alg.String()+"/"+call.name, func(t *testing.T) {
				tok := s.Sign(t, claims(call.path, testNow), nil)
				if rec := do(h, call.method, call.path, call.body, tok); rec.Code != http.StatusOK {
					t.Errorf("status %d, want 200: %s", rec.Code, rec.Body)
				}
				// Health probes need no token; unknown paths under
				// /cds-services do (no probing for service ids).
				other := s.Sign(t, claims(call.path, testNow), nil)
				if rec := do(h, http.MethodPost, "/cds-services/no-such-service", validPatientView, other); rec.Code != http.StatusUnauthorized {
					t.Errorf("token for %s on another path: status %d, want 401", call.path, rec.Code)
				}
			})
		}
	}
	if rec := do(h, http.MethodGet, "/healthz", "", ""); rec.Code != http.StatusOK {
		t.Errorf("/healthz without a token: %d", rec.Code)
	}
}

// TestJWKSEndpointSlowOrDown: a JWK Set URL that hangs costs a request at
// most the fetch timeout and yields 401; one that is down yields 401 at
// once; and once keys are known, the endpoint going down does not lock
// the EHR out. Start-up never waits for the endpoint.
func TestJWKSEndpointSlowOrDown(t *testing.T) {
	key := newSigner(t, "k1", jwa.ES384())
	path := "/cds-services/" + ServicePatientView

	t.Run("slow", func(t *testing.T) {
		js := authtest.NewJWKSServer(t, jwksJSON(t, key))
		js.Set(jwksJSON(t, key), 10*time.Second)
		a := mustAuth(t, auth.Config{PublicBaseURL: testBase, Issuers: []auth.Issuer{{Iss: testIss, JWKSURL: js.URL}}, JWKSFetchTimeout: 200 * time.Millisecond, Now: func() time.Time { return testNow }})
		h := newAuthHandler(t, a, nil)
		start := time.Now()
		rec := do(h, http.MethodPost, path, validPatientView, key.Sign(t, claims(path, testNow), nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", rec.Code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("request took %v with a 200ms fetch timeout", d)
		}
	})
	t.Run("down", func(t *testing.T) {
		js := authtest.NewJWKSServer(t, nil)
		js.Close()
		a := mustAuth(t, auth.Config{PublicBaseURL: testBase, Issuers: []auth.Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: func() time.Time { return testNow }})
		rec := do(newAuthHandler(t, a, nil), http.MethodPost, path, validPatientView, key.Sign(t, claims(path, testNow), nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", rec.Code)
		}
	})
	t.Run("down after keys were fetched", func(t *testing.T) {
		js := authtest.NewJWKSServer(t, jwksJSON(t, key))
		clk := &authtest.Clock{T: testNow}
		a := mustAuth(t, auth.Config{PublicBaseURL: testBase, Issuers: []auth.Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: clk.Now})
		h := newAuthHandler(t, a, nil)
		if rec := do(h, http.MethodPost, path, validPatientView, key.Sign(t, claims(path, clk.Now()), nil)); rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		js.Close()
		clk.Add(auth.DefaultJWKSRefresh + time.Minute)
		if rec := do(h, http.MethodPost, path, validPatientView, key.Sign(t, claims(path, clk.Now()), nil)); rec.Code != http.StatusOK {
			t.Errorf("with the endpoint down and cached keys: status %d, want 200", rec.Code)
		}
	})
}

// countingTransport records every outbound request the Gatherer tries.
type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// TestFHIRServerNotAllowListedGetsNoConnection: a request naming a
// fhirServer its issuer did not allow-list causes no outbound connection
// (and the access token goes nowhere); the call proceeds on prefetch
// alone, so missing data is a 412. The issuer's own server is used.
func TestFHIRServerNotAllowListedGetsNoConnection(t *testing.T) {
	var conns atomic.Int64
	fhirSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		if strings.HasPrefix(r.URL.Path, "/fhir/Patient/") {
			w.Write([]byte(`{"resourceType":"Patient","id":"pieterse","gender":"female","birthDate":"1961-06-15"}`))
			return
		}
		w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[]}`))
	}))
	fhirSrv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	fhirSrv.Start()
	t.Cleanup(fhirSrv.Close)
	ehrA := "https://ehr-a.example"
	ehrB := "https://ehr-b.example"
	key := newSigner(t, "k", jwa.ES384())
	keyB := newSigner(t, "kb", jwa.ES384())
	dir := t.TempDir()
	fa, fb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	os.WriteFile(fa, jwksJSON(t, key), 0o600)
	os.WriteFile(fb, jwksJSON(t, keyB), 0o600)
	a := mustAuth(t, auth.Config{PublicBaseURL: testBase, Now: func() time.Time { return testNow }, Issuers: []auth.Issuer{
		{Iss: ehrA, JWKSFile: fa, FHIRServers: []string{"https://fhir.ehr-a.example/r4"}},
		{Iss: ehrB, JWKSFile: fb, FHIRServers: []string{fhirSrv.URL + "/fhir/"}},
	}})
	rt := &countingTransport{next: http.DefaultTransport}
	g := fhir.NewGatherer(fhir.Options{HTTPClient: &http.Client{Transport: rt}})
	core, logs := observer.New(zap.InfoLevel)
	h := NewHandler(Config{Logger: zap.New(core), Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates(), Now: func() time.Time { return testNow }, Auth: a})
	path := "/cds-services/" + ServicePatientView
	body := strings.Replace(validPatientView, `"context"`, `"fhirServer":"`+fhirSrv.URL+`/fhir","fhirAuthorization":{"access_token":"TOKEN-FOR-B-ONLY","token_type":"Bearer","expires_in":300,"scope":"user/*.read","subject":"cds"},"context"`, 1)

	sign := func(s signer, iss string) string {
		c := claims(path, testNow)
		c["iss"] = iss
		return s.Sign(t, c, nil)
	}
	rec := do(h, http.MethodPost, path, body, sign(key, ehrA))
	if rec.Code != http.StatusPreconditionFailed {
		t.Errorf("issuer A naming B's FHIR server: status %d, want 412: %s", rec.Code, rec.Body)
	}
	if n, c := rt.n.Load(), conns.Load(); n != 0 || c != 0 {
		t.Fatalf("non-allow-listed fhirServer: %d requests, %d connections, want none", n, c)
	}
	if got := logs.TakeAll(); len(got) != 1 || got[0].ContextMap()["fhirServerRefused"] != true {
		t.Errorf("access log does not flag the refused fhirServer: %v", got)
	}

	rec = do(h, http.MethodPost, path, body, sign(keyB, ehrB))
	if rec.Code != http.StatusOK {
		t.Errorf("issuer B naming its own FHIR server: status %d: %s", rec.Code, rec.Body)
	}
	if rt.n.Load() == 0 || conns.Load() == 0 {
		t.Errorf("allow-listed fhirServer was not used")
	}
}

// TestWithoutAuthOnlyLoopbackFHIRServersAreContacted is the development
// rule: no issuers means no caller identity, so the service talks to a
// loopback FHIR server only, never to a host a request names.
func TestWithoutAuthOnlyLoopbackFHIRServersAreContacted(t *testing.T) {
	rt := &countingTransport{next: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("no network in this test")
	})}
	g := fhir.NewGatherer(fhir.Options{HTTPClient: &http.Client{Transport: rt}})
	h := NewHandler(Config{Facts: g, Thresholds: rules.DefaultThresholds(), Prefetch: g.Templates(), Now: func() time.Time { return testNow }})
	path := "/cds-services/" + ServicePatientView
	for _, server := range []string{"https://internal-admin.hospital.example/fhir", "http://169.254.169.254/latest", "http://10.0.0.1:8080/fhir"} {
		body := strings.Replace(validPatientView, `"context"`, `"fhirServer":"`+server+`","fhirAuthorization":{"access_token":"t","token_type":"Bearer","expires_in":300,"scope":"s","subject":"c"},"context"`, 1)
		if rec := do(h, http.MethodPost, path, body, ""); rec.Code != http.StatusPreconditionFailed {
			t.Errorf("%s: status %d, want 412", server, rec.Code)
		}
	}
	if n := rt.n.Load(); n != 0 {
		t.Errorf("%d outbound requests to non-loopback servers, want 0", n)
	}
	body := strings.Replace(validPatientView, `"context"`, `"fhirServer":"http://127.0.0.1:1/fhir","fhirAuthorization":{"access_token":"t","token_type":"Bearer","expires_in":300,"scope":"s","subject":"c"},"context"`, 1)
	do(h, http.MethodPost, path, body, "")
	if n := rt.n.Load(); n == 0 {
		t.Errorf("a loopback FHIR server was not tried in development mode")
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
