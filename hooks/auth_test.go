package hooks

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

const (
	testBase = "https://cds.hospital.example"
	testIss  = "https://ehr.hospital.example"
)

// signer is a generated key pair with its kid and algorithm.
type signer struct {
	kid  string
	alg  jwa.SignatureAlgorithm
	priv any
	pub  jwk.Key
}

func newSigner(t *testing.T, kid string, alg jwa.SignatureAlgorithm) signer {
	t.Helper()
	var priv, pub any
	switch alg.String()[:2] {
	case "ES":
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg.String()]
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	default:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		priv, pub = k, &k.PublicKey
	}
	jk, err := jwk.Import(pub)
	if err != nil {
		t.Fatal(err)
	}
	_ = jk.Set(jwk.KeyIDKey, kid)
	return signer{kid: kid, alg: alg, priv: priv, pub: jk}
}

// jwksJSON is the public JWK Set of signers.
func jwksJSON(t *testing.T, signers ...signer) []byte {
	t.Helper()
	set := jwk.NewSet()
	for _, s := range signers {
		if err := set.AddKey(s.pub); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// claims returns a valid payload for path at now.
func claims(path string, now time.Time) map[string]any {
	return map[string]any{
		"iss": testIss,
		"aud": testBase + path,
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
		"jti": randomJTI(),
	}
}

func randomJTI() string { return uuid.NewString() }

// sign makes a compact JWS over payload with header fields hdr (typ JWT
// and kid are added unless hdr sets them; a nil value removes one).
func (s signer) sign(t *testing.T, payload map[string]any, hdr map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	fields := map[string]any{"typ": "JWT", "kid": s.kid}
	for k, v := range hdr {
		fields[k] = v
	}
	for k, v := range fields {
		if v == nil {
			continue
		}
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	body, _ := json.Marshal(payload)
	tok, err := jws.Sign(body, jws.WithKey(s.alg, s.priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// rawToken builds a compact token by hand, for what no library will sign
// (alg none, HMAC with a public key as secret).
func rawToken(hdr, payload map[string]any, sig func(signingInput string) []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(hdr)
	p, _ := json.Marshal(payload)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	return in + "." + enc.EncodeToString(sig(in))
}

// jwksServer serves a JWK Set that tests can swap, counting fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	fetches atomic.Int64
	delay   time.Duration
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	js := &jwksServer{body: body}
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.fetches.Add(1)
		js.mu.Lock()
		b, d := js.body, js.delay
		js.mu.Unlock()
		if d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(js.Close)
	return js
}

func (js *jwksServer) set(body []byte, delay time.Duration) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.body, js.delay = body, delay
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newAuthHandler(t *testing.T, a *Authenticator, logger *zap.Logger) http.Handler {
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

func mustAuth(t *testing.T, cfg AuthConfig) *Authenticator {
	t.Helper()
	a, err := NewAuthenticator(cfg)
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

// TestSpecExampleJWTVerifiesWithTheSpecJWKS checks the verifier against
// the CDS Hooks 2.0.1 example (testdata/auth/README.md): the spec's ES384
// token verifies with the spec's JWK Set, its jku (not allow-listed) is
// ignored rather than fetched, and the claims come out as printed.
func TestSpecExampleJWTVerifiesWithTheSpecJWKS(t *testing.T) {
	tok, err := os.ReadFile(filepath.Join("testdata", "auth", "spec-example-token.txt"))
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.TrimSpace(string(tok))
	beforeExp := time.Unix(1422568860, 0).Add(-time.Hour)
	cfg := AuthConfig{
		PublicBaseURL: "https://cds.example.org",
		Issuers: []Issuer{{
			Iss:      "https://fhir-ehr.example.com/",
			JWKSFile: filepath.Join("testdata", "auth", "spec-example-jwks.json"),
			Tenants:  []string{"2ddd6c3a-8e9a-44c6-a305-52111ad302a2"},
		}},
		// The example spans 2011-2015; only this test allows that.
		MaxTokenLifetime: 10 * 365 * 24 * time.Hour,
		Now:              func() time.Time { return beforeExp },
	}
	a := mustAuth(t, cfg)
	got, err := a.Verify(context.Background(), raw, a.Audience("/cds-services/some-service"))
	if err != nil {
		t.Fatalf("spec example rejected: %v", err)
	}
	want := Caller{Issuer: "https://fhir-ehr.example.com/", Tenant: "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Caller{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".issuer" }, cmp.Ignore())); diff != "" {
		t.Errorf("caller (-want +got):\n%s", diff)
	}

	// The same token is then a replay, after its exp it is expired, and one
	// flipped signature bit fails it.
	if _, err := a.Verify(context.Background(), raw, a.Audience("/cds-services/some-service")); !isAuthReason(err, "jti replayed") {
		t.Errorf("second use: %v, want jti replayed", err)
	}
	cfg.Now = func() time.Time { return time.Unix(1422568860, 0).Add(2 * time.Minute) }
	if _, err := mustAuth(t, cfg).Verify(context.Background(), raw, "https://cds.example.org/cds-services/some-service"); !isAuthReason(err, "expired") {
		t.Errorf("after exp: %v, want expired", err)
	}
	cfg.Now = func() time.Time { return beforeExp }
	tampered := raw[:len(raw)-2] + map[bool]string{true: "A", false: "B"}[raw[len(raw)-2] != 'A'] + raw[len(raw)-1:]
	if _, err := mustAuth(t, cfg).Verify(context.Background(), tampered, "https://cds.example.org/cds-services/some-service"); !isAuthReason(err, "bad signature") {
		t.Errorf("tampered signature: %v, want bad signature", err)
	}
}

func isAuthReason(err error, reason string) bool {
	ae, ok := err.(*authError)
	return ok && ae.reason == reason
}

// TestEveryRejectionReasonAnswers401WithoutDetail posts one bad token per
// check through the whole handler: each gets 401, a Bearer challenge, the
// same generic body, and its own reason in the access log only.
func TestEveryRejectionReasonAnswers401WithoutDetail(t *testing.T) {
	es := newSigner(t, "k-es384", jwa.ES384())
	rs := newSigner(t, "k-rs256", jwa.RS256())
	other := newSigner(t, "k-es384", jwa.ES384()) // same kid, another key
	attacker := newSigner(t, "k-evil", jwa.ES256())
	js := newJWKSServer(t, jwksJSON(t, es, rs))
	evil := newJWKSServer(t, jwksJSON(t, attacker))
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
	replayed := es.sign(t, base(), nil)

	tests := []struct {
		name, token, reason string
	}{
		{"no Authorization header", "", "no bearer token"},
		{"not a JWT", "not.a.jwt", "malformed JWS"},
		{"JWS JSON serialization", `{"payload":"e30","signatures":[]}`, "not a compact JWS"},
		{"alg none", rawToken(map[string]any{"alg": "none", "typ": "JWT", "kid": es.kid}, base(), func(string) []byte { return nil }), "algorithm not allowed"},
		{"alg HS256 keyed with the public JWKS", rawToken(map[string]any{"alg": "HS256", "typ": "JWT", "kid": es.kid}, base(), func(in string) []byte {
			m := hmac.New(sha256.New, hsSecret)
			m.Write([]byte(in))
			return m.Sum(nil)
		}), "algorithm not allowed"},
		{"typ missing", es.sign(t, base(), map[string]any{"typ": nil}), "typ is not JWT"},
		{"kid missing", es.sign(t, base(), map[string]any{"kid": nil}), "no kid"},
		{"issuer not allow-listed", es.sign(t, with("iss", "https://evil.example"), nil), "issuer not allowed"},
		{"unknown kid", attacker.sign(t, base(), nil), "unknown kid"},
		{"signed by another key with a known kid", other.sign(t, base(), nil), "bad signature"},
		{"RS256 header on the EC key's kid", rawToken(map[string]any{"alg": "RS256", "typ": "JWT", "kid": es.kid}, base(), func(string) []byte { return make([]byte, 256) }), "key type does not match alg"},
		{"jku not allow-listed, attacker keys", attacker.sign(t, base(), map[string]any{"jku": evil.URL}), "unknown kid"},
		{"aud is another service", es.sign(t, with("aud", testBase+"/cds-services/"+ServiceOrderSign), nil), "wrong aud"},
		{"aud built from a forged Host", es.sign(t, with("aud", "http://evil.example"+path), nil), "wrong aud"},
		{"aud missing", es.sign(t, with("aud", nil), nil), "wrong aud"},
		{"expired beyond skew", es.sign(t, with("exp", now.Add(-2*time.Minute).Unix()), nil), "expired"},
		{"iat in the future beyond skew", es.sign(t, with("iat", now.Add(2*time.Minute).Unix()), nil), "iat in the future"},
		{"exp missing", es.sign(t, with("exp", nil), nil), "missing required claim"},
		{"iat missing", es.sign(t, with("iat", nil), nil), "missing required claim"},
		{"jti missing", es.sign(t, with("jti", nil), nil), "missing required claim"},
		{"lifetime over an hour", es.sign(t, with("exp", now.Add(2*time.Hour).Unix()), nil), "lifetime too long"},
		{"tenant not allowed", es.sign(t, with("tenant", "other-hospital"), nil), "tenant not allowed"},
		{"tenant missing", es.sign(t, with("tenant", nil), nil), "tenant not allowed"},
		{"tenant not a string", es.sign(t, with("tenant", 42), nil), "tenant is not a string"},
		{"jti replayed", replayed, "jti replayed"},
	}
	core, logs := observer.New(zap.InfoLevel)
	a := mustAuth(t, AuthConfig{
		PublicBaseURL: testBase,
		Issuers:       []Issuer{{Iss: testIss, JWKSURL: js.URL, Tenants: []string{"hospital-a"}}},
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
	if n := evil.fetches.Load(); n != 0 {
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
	a := mustAuth(t, AuthConfig{PublicBaseURL: testBase + "/", Issuers: []Issuer{{Iss: testIss, JWKSFile: file}}, Now: func() time.Time { return testNow }})
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
			t.Run(s.alg.String()+"/"+call.name, func(t *testing.T) {
				tok := s.sign(t, claims(call.path, testNow), nil)
				if rec := do(h, call.method, call.path, call.body, tok); rec.Code != http.StatusOK {
					t.Errorf("status %d, want 200: %s", rec.Code, rec.Body)
				}
				// Health probes need no token; unknown paths under
				// /cds-services do (no probing for service ids).
				other := s.sign(t, claims(call.path, testNow), nil)
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

// TestKeyRotationRefetchesTheJWKSOnAnUnknownKid: the EHR rotates to a new
// key; the first token with the new kid makes the service refetch, and a
// storm of made-up kids causes at most one fetch per minimum interval.
func TestKeyRotationRefetchesTheJWKSOnAnUnknownKid(t *testing.T) {
	oldKey := newSigner(t, "2024-01", jwa.ES384())
	newKey := newSigner(t, "2024-02", jwa.RS384())
	js := newJWKSServer(t, jwksJSON(t, oldKey))
	clk := &clock{t: testNow}
	a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: clk.Now})
	path := "/cds-services"
	verify := func(s signer) error {
		_, err := a.Verify(context.Background(), s.sign(t, claims(path, clk.Now()), nil), a.Audience(path))
		return err
	}
	if err := verify(oldKey); err != nil {
		t.Fatalf("old key: %v", err)
	}
	js.set(jwksJSON(t, oldKey, newKey), 0)
	clk.Add(DefaultJWKSMinInterval)
	if err := verify(newKey); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	if err := verify(oldKey); err != nil {
		t.Fatalf("old key still published: %v", err)
	}
	if got := js.fetches.Load(); got != 2 {
		t.Errorf("fetches = %d, want 2 (first use, unknown kid)", got)
	}
	clk.Add(DefaultJWKSMinInterval)
	for i := range 20 {
		if err := verify(newSigner(t, "made-up-"+string(rune('a'+i)), jwa.ES256())); !isAuthReason(err, "unknown kid") {
			t.Fatalf("made-up kid: %v", err)
		}
	}
	if got := js.fetches.Load(); got != 3 {
		t.Errorf("fetches after 20 unknown kids = %d, want 3 (one refresh per interval)", got)
	}
	// A stale set is refreshed: the retired key stops working.
	js.set(jwksJSON(t, newKey), 0)
	clk.Add(DefaultJWKSRefresh)
	if err := verify(oldKey); !isAuthReason(err, "unknown kid") {
		t.Errorf("retired key: %v, want unknown kid", err)
	}
	if err := verify(newKey); err != nil {
		t.Errorf("new key: %v", err)
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
		js := newJWKSServer(t, jwksJSON(t, key))
		js.set(jwksJSON(t, key), 10*time.Second)
		a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, JWKSFetchTimeout: 200 * time.Millisecond, Now: func() time.Time { return testNow }})
		h := newAuthHandler(t, a, nil)
		start := time.Now()
		rec := do(h, http.MethodPost, path, validPatientView, key.sign(t, claims(path, testNow), nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", rec.Code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("request took %v with a 200ms fetch timeout", d)
		}
	})
	t.Run("down", func(t *testing.T) {
		js := newJWKSServer(t, nil)
		js.Close()
		a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: func() time.Time { return testNow }})
		rec := do(newAuthHandler(t, a, nil), http.MethodPost, path, validPatientView, key.sign(t, claims(path, testNow), nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", rec.Code)
		}
	})
	t.Run("down after keys were fetched", func(t *testing.T) {
		js := newJWKSServer(t, jwksJSON(t, key))
		clk := &clock{t: testNow}
		a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: clk.Now})
		h := newAuthHandler(t, a, nil)
		if rec := do(h, http.MethodPost, path, validPatientView, key.sign(t, claims(path, clk.Now()), nil)); rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
		js.Close()
		clk.Add(DefaultJWKSRefresh + time.Minute)
		if rec := do(h, http.MethodPost, path, validPatientView, key.sign(t, claims(path, clk.Now()), nil)); rec.Code != http.StatusOK {
			t.Errorf("with the endpoint down and cached keys: status %d, want 200", rec.Code)
		}
	})
	t.Run("server error and oversized body", func(t *testing.T) {
		for _, body := range [][]byte{[]byte("oops"), []byte(`{"keys":[` + strings.Repeat(" ", maxJWKSBytes) + `]}`)} {
			js := newJWKSServer(t, body)
			a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: func() time.Time { return testNow }})
			if _, err := a.Verify(context.Background(), key.sign(t, claims(path, testNow), nil), a.Audience(path)); !isAuthReason(err, "issuer keys unavailable") {
				t.Errorf("unusable JWKS: %v", err)
			}
		}
	})
}

// TestAllowListedJKUIsHonoured: a jku header on the issuer's allow-list
// selects that JWK Set (key rotation to a new URL).
func TestAllowListedJKUIsHonoured(t *testing.T) {
	a1 := newSigner(t, "a1", jwa.ES384())
	b1 := newSigner(t, "b1", jwa.PS256())
	main := newJWKSServer(t, jwksJSON(t, a1))
	next := newJWKSServer(t, jwksJSON(t, b1))
	a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: main.URL, JKUURLs: []string{next.URL}}}, Now: func() time.Time { return testNow }})
	path := "/cds-services"
	if _, err := a.Verify(context.Background(), b1.sign(t, claims(path, testNow), map[string]any{"jku": next.URL}), a.Audience(path)); err != nil {
		t.Errorf("allow-listed jku: %v", err)
	}
	if _, err := a.Verify(context.Background(), a1.sign(t, claims(path, testNow), map[string]any{"jku": main.URL}), a.Audience(path)); err != nil {
		t.Errorf("jku = jwks_url: %v", err)
	}
}

// TestReplayStoreForgetsExpiredJTIsAndFailsClosedWhenFull.
func TestReplayStoreForgetsExpiredJTIsAndFailsClosedWhenFull(t *testing.T) {
	clk := &clock{t: testNow}
	s := NewMemoryReplayStore(2, clk.Now)
	ctx := context.Background()
	type step struct {
		key     string
		ttl     time.Duration
		advance time.Duration
		want    bool
		wantErr bool
	}
	steps := []step{
		{key: "a", ttl: time.Minute, want: true},
		{key: "a", ttl: time.Minute, want: false},
		{key: "b", ttl: time.Hour, want: true},
		{key: "c", ttl: time.Hour, want: false, wantErr: true}, // full, nothing expired
		{key: "c", ttl: time.Hour, advance: 2 * time.Minute, want: true},
		{key: "a", ttl: time.Minute, want: false, wantErr: true},
	}
	var got []step
	for _, st := range steps {
		clk.Add(st.advance)
		ok, err := s.Remember(ctx, st.key, clk.Now().Add(st.ttl))
		got = append(got, step{key: st.key, ttl: st.ttl, advance: st.advance, want: ok, wantErr: err != nil})
	}
	if diff := cmp.Diff(steps, got, cmp.AllowUnexported(step{})); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// TestCheckAuthConfigNamesEveryProblem.
func TestCheckAuthConfigNamesEveryProblem(t *testing.T) {
	dir := t.TempDir()
	hmacOnly := filepath.Join(dir, "hmac.json")
	os.WriteFile(hmacOnly, []byte(`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`), 0o600)
	cfg := AuthConfig{
		PublicBaseURL: "http://cds.hospital.example",
		Issuers: []Issuer{
			{Iss: "", JWKSURL: "https://a.example/jwks"},
			{Iss: "x", JWKSURL: "http://ehr.example/jwks", FHIRServers: []string{"http://ehr.example/fhir", "https://ok.example/fhir"}},
			{Iss: "x", JWKSFile: hmacOnly},
			{Iss: "y", JWKSURL: "https://y.example/jwks", JWKSFile: hmacOnly, JKUURLs: []string{"ftp://y.example/k"}},
		},
	}
	got := CheckAuthConfig(cfg)
	for _, want := range []string{"public_base_url", "issuers[0].iss is required", "issuers[1].jwks_url", "issuers[1].fhir_servers \"http://ehr.example/fhir\"", "issuers[2].iss is listed twice", "issuers[2].jwks_file", "issuers[3]: set exactly one", "issuers[3].jku_urls"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("problems do not mention %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 8 {
		t.Errorf("%d problems, want 8:\n%s", len(got), strings.Join(got, "\n"))
	}
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
	a := mustAuth(t, AuthConfig{PublicBaseURL: testBase, Now: func() time.Time { return testNow }, Issuers: []Issuer{
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
		return s.sign(t, c, nil)
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
