package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/fracturecds/fracturecds/hooks/auth/authtest"
)

const (
	testBase = "https://cds.hospital.example"
	testIss  = "https://ehr.hospital.example"
)

// testNow is the fixed clock of these tests.
var testNow = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

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

func mustAuth(t *testing.T, cfg Config) *Authenticator {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSpecExampleJWTVerifiesWithTheSpecJWKS checks the verifier against
// the CDS Hooks 2.0.1 example (testdata/auth/README.md): the spec's ES384
// token verifies with the spec's JWK Set, its jku (not allow-listed) is
// ignored rather than fetched, and the claims come out as printed.
func TestSpecExampleJWTVerifiesWithTheSpecJWKS(t *testing.T) {
	tok, err := os.ReadFile(filepath.Join("..", "testdata", "auth", "spec-example-token.txt"))
	if err != nil {
		t.Fatal(err)
	}
	raw := strings.TrimSpace(string(tok))
	beforeExp := time.Unix(1422568860, 0).Add(-time.Hour)
	cfg := Config{
		PublicBaseURL: "https://cds.example.org",
		Issuers: []Issuer{{
			Iss:      "https://fhir-ehr.example.com/",
			JWKSFile: filepath.Join("..", "testdata", "auth", "spec-example-jwks.json"),
			Tenants:  []string{"2ddd6c3a-8e9a-44c6-a305-52111ad302a2"},
		}},
		// The example spans 2011-2015; only this test allows that.
		MaxTokenLifetime: 10 * 365 * 24 * time.Hour,
		Now:              func() time.Time { return beforeExp },
	}
	a := mustAuth(t, cfg)
	got, err := a.Verify(context.Background(), raw, "/cds-services/some-service")
	if err != nil {
		t.Fatalf("spec example rejected: %v", err)
	}
	want := Caller{Issuer: "https://fhir-ehr.example.com/", Tenant: "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Caller{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".fhirServers" }, cmp.Ignore())); diff != "" {
		t.Errorf("caller (-want +got):\n%s", diff)
	}

	// The same token is then a replay, after its exp it is expired, and one
	// flipped signature bit fails it.
	if _, err := a.Verify(context.Background(), raw, "/cds-services/some-service"); !isAuthReason(err, "jti replayed") {
		t.Errorf("second use: %v, want jti replayed", err)
	}
	cfg.Now = func() time.Time { return time.Unix(1422568860, 0).Add(2 * time.Minute) }
	if _, err := mustAuth(t, cfg).Verify(context.Background(), raw, "/cds-services/some-service"); !isAuthReason(err, "expired") {
		t.Errorf("after exp: %v, want expired", err)
	}
	cfg.Now = func() time.Time { return beforeExp }
	tampered := raw[:len(raw)-2] + map[bool]string{true: "A", false: "B"}[raw[len(raw)-2] != 'A'] + raw[len(raw)-1:]
	if _, err := mustAuth(t, cfg).Verify(context.Background(), tampered, "/cds-services/some-service"); !isAuthReason(err, "bad signature") {
		t.Errorf("tampered signature: %v, want bad signature", err)
	}
}

func isAuthReason(err error, reason string) bool {
	ae, ok := err.(*Error)
	return ok && ae.Reason == reason
}

// TestKeyRotationRefetchesTheJWKSOnAnUnknownKid: the EHR rotates to a new
// key; the first token with the new kid makes the service refetch, and a
// storm of made-up kids causes at most one fetch per minimum interval.
func TestKeyRotationRefetchesTheJWKSOnAnUnknownKid(t *testing.T) {
	oldKey := newSigner(t, "2024-01", jwa.ES384())
	newKey := newSigner(t, "2024-02", jwa.RS384())
	js := authtest.NewJWKSServer(t, jwksJSON(t, oldKey))
	clk := &authtest.Clock{T: testNow}
	a := mustAuth(t, Config{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: clk.Now})
	path := "/cds-services"
	verify := func(s signer) error {
		_, err := a.Verify(context.Background(), s.Sign(t, claims(path, clk.Now()), nil), path)
		return err
	}
	if err := verify(oldKey); err != nil {
		t.Fatalf("old key: %v", err)
	}
	js.Set(jwksJSON(t, oldKey, newKey), 0)
	clk.Add(DefaultJWKSMinInterval)
	if err := verify(newKey); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	if err := verify(oldKey); err != nil {
		t.Fatalf("old key still published: %v", err)
	}
	if got := js.Fetches.Load(); got != 2 {
		t.Errorf("fetches = %d, want 2 (first use, unknown kid)", got)
	}
	clk.Add(DefaultJWKSMinInterval)
	for i := range 20 {
		if err := verify(newSigner(t, "made-up-"+string(rune('a'+i)), jwa.ES256())); !isAuthReason(err, "unknown kid") {
			t.Fatalf("made-up kid: %v", err)
		}
	}
	if got := js.Fetches.Load(); got != 3 {
		t.Errorf("fetches after 20 unknown kids = %d, want 3 (one refresh per interval)", got)
	}
	// A stale set is refreshed: the retired key stops working.
	js.Set(jwksJSON(t, newKey), 0)
	clk.Add(DefaultJWKSRefresh)
	if err := verify(oldKey); !isAuthReason(err, "unknown kid") {
		t.Errorf("retired key: %v, want unknown kid", err)
	}
	if err := verify(newKey); err != nil {
		t.Errorf("new key: %v", err)
	}
}

func TestJWKSEndpointErrors(t *testing.T) {
	key := newSigner(t, "k1", jwa.ES384())
	path := "/cds-services/patient-view"
	t.Run("server error and oversized body", func(t *testing.T) {
		for _, body := range [][]byte{[]byte("oops"), []byte(`{"keys":[` + strings.Repeat(" ", maxJWKSBytes) + `]}`)} {
			js := authtest.NewJWKSServer(t, body)
			a := mustAuth(t, Config{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: js.URL}}, Now: func() time.Time { return testNow }})
			if _, err := a.Verify(context.Background(), key.Sign(t, claims(path, testNow), nil), path); !isAuthReason(err, "issuer keys unavailable") {
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
	main := authtest.NewJWKSServer(t, jwksJSON(t, a1))
	next := authtest.NewJWKSServer(t, jwksJSON(t, b1))
	a := mustAuth(t, Config{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSURL: main.URL, JKUURLs: []string{next.URL}}}, Now: func() time.Time { return testNow }})
	path := "/cds-services"
	if _, err := a.Verify(context.Background(), b1.Sign(t, claims(path, testNow), map[string]any{"jku": next.URL}), path); err != nil {
		t.Errorf("allow-listed jku: %v", err)
	}
	if _, err := a.Verify(context.Background(), a1.Sign(t, claims(path, testNow), map[string]any{"jku": main.URL}), path); err != nil {
		t.Errorf("jku = jwks_url: %v", err)
	}
}

// TestReplayStoreForgetsExpiredJTIsAndFailsClosedWhenFull.
func TestReplayStoreForgetsExpiredJTIsAndFailsClosedWhenFull(t *testing.T) {
	clk := &authtest.Clock{T: testNow}
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
	cfg := Config{
		PublicBaseURL: "http://cds.hospital.example",
		Issuers: []Issuer{
			{Iss: "", JWKSURL: "https://a.example/jwks"},
			{Iss: "x", JWKSURL: "http://ehr.example/jwks", FHIRServers: []string{"http://ehr.example/fhir", "https://ok.example/fhir"}},
			{Iss: "x", JWKSFile: hmacOnly},
			{Iss: "y", JWKSURL: "https://y.example/jwks", JWKSFile: hmacOnly, JKUURLs: []string{"ftp://y.example/k"}},
		},
	}
	got := CheckConfig(cfg)
	for _, want := range []string{"public_base_url", "issuers[0].iss is required", "issuers[1].jwks_url", "issuers[1].fhir_servers \"http://ehr.example/fhir\"", "issuers[2].iss is listed twice", "issuers[2].jwks_file", "issuers[3]: set exactly one", "issuers[3].jku_urls"} {
		if !strings.Contains(strings.Join(got, "\n"), want) {
			t.Errorf("problems do not mention %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if len(got) != 8 {
		t.Errorf("%d problems, want 8:\n%s", len(got), strings.Join(got, "\n"))
	}
}
