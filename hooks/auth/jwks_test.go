package auth

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/hooks/auth/authtest"
)

// mixedJWKS is an EHR's JWK Set with one good RSA-2048 key and every kind
// of key the service must not use: an old RSA-1024 key, an EC key on a
// curve outside ES256/384/512, a key type it does not know, a symmetric
// key, a published private key and a key without kid. It returns the set
// and the signers of the good, the weak and the private key.
func mixedJWKS(t *testing.T) (body []byte, good, weak, private signer) {
	t.Helper()
	good = newSigner(t, "rsa-2048", jwa.RS256())
	weak = authtest.NewRSASigner(t, "rsa-1024-old", jwa.RS256(), 1024)
	private = newSigner(t, "ec-leaked", jwa.ES256())
	privJWK, err := jwk.Import(private.Priv)
	if err != nil {
		t.Fatal(err)
	}
	_ = privJWK.Set(jwk.KeyIDKey, private.Kid)
	noKid := newSigner(t, "", jwa.ES384())
	keys := []any{weak.PubJSON, good.PubJSON, privJWK, noKid.PubJSON}
	keys = append(keys,
		map[string]string{"kty": "EC", "kid": "secp256k1", "crv": "secp256k1", "x": "AA", "y": "AA"},
		map[string]string{"kty": "OKP", "kid": "ed25519", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
		map[string]string{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
	)
	body, err = json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return body, good, weak, private
}

var wantDropped = []string{
	`key 0 (kid "rsa-1024-old"): RSA key of 1024 bits (at least 2048 required)`,
	`key 2 (kid "ec-leaked"): contains private key material (publish public keys only)`,
	`key 3: no kid`,
	`key 4 (kid "secp256k1"): unknown crv "secp256k1"`,
	`key 5 (kid "ed25519"): unsupported kty "OKP" (EC and RSA only)`,
	`key 6 (kid "hmac"): contains private key material (publish public keys only)`,
}

// TestAMixedJWKSetIsUsedWithItsUnusableKeysDropped: a set with one good
// key among unusable ones is accepted, from a file and from a URL; tokens
// signed with the good key verify, tokens signed with a dropped key do not,
// and every dropped key is named (with its kid and why) in the log and by
// DroppedKeys for `config check`.
func TestAMixedJWKSetIsUsedWithItsUnusableKeysDropped(t *testing.T) {
	body, good, weak, private := mixedJWKS(t)
	file := filepath.Join(t.TempDir(), "ehr.jwks.json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	js := authtest.NewJWKSServer(t, body)
	const path = "/cds-services"
	for _, tt := range []struct {
		name   string
		issuer Issuer
		from   string
	}{
		{"jwks_file", Issuer{Iss: testIss, JWKSFile: file}, file},
		{"jwks_url", Issuer{Iss: testIss, JWKSURL: js.URL}, js.URL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.WarnLevel)
			cfg := Config{PublicBaseURL: testBase, Issuers: []Issuer{tt.issuer}, Now: func() time.Time { return testNow }, Logger: zap.New(core)}
			if p := CheckConfig(cfg); len(p) > 0 {
				t.Fatalf("a set with one good key is a configuration problem: %v", p)
			}
			a := mustAuth(t, cfg)
			if _, err := a.Verify(context.Background(), good.Sign(t, claims(path, testNow), nil), path); err != nil {
				t.Errorf("token signed with the good key: %v", err)
			}
			for _, s := range []signer{weak, private} {
				if _, err := a.Verify(context.Background(), s.Sign(t, claims(path, testNow), nil), path); !isAuthReason(err, "unknown kid") {
					t.Errorf("token signed with dropped key %s: %v, want unknown kid", s.Kid, err)
				}
			}
			var logged []string
			for _, e := range logs.TakeAll() {
				m := e.ContextMap()
				if m["iss"] != testIss || m["jwks"] != tt.from {
					t.Errorf("log line without issuer and source: %v", m)
				}
				logged = append(logged, m["key"].(string))
			}
			if diff := cmp.Diff(wantDropped, logged); diff != "" {
				t.Errorf("dropped keys in the log (-want +got):\n%s", diff)
			}
			for _, l := range logged {
				if strings.Contains(l, `"d"`) || strings.Contains(l, "c2VjcmV0") {
					t.Errorf("log line quotes key material: %s", l)
				}
			}
		})
	}
	var want []string
	for _, d := range wantDropped {
		want = append(want, "auth.issuers[0].jwks_file: "+d+" dropped")
	}
	got := DroppedKeys(Config{Issuers: []Issuer{{Iss: testIss, JWKSFile: file}, {Iss: "b", JWKSURL: js.URL}}})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DroppedKeys (-want +got):\n%s", diff)
	}
}

// TestAJWKSetWithNoUsableKeyIsRefused: dropping key by key still refuses
// a set in which nothing is left, and a document that is no JWK Set.
func TestAJWKSetWithNoUsableKeyIsRefused(t *testing.T) {
	weak := authtest.NewRSASigner(t, "old", jwa.RS256(), 1024)
	for name, body := range map[string][]byte{
		"only a weak key": authtest.JWKS(t, weak),
		"no keys member":  []byte(`{"kty":"EC"}`),
		"keys not a list": []byte(`{"keys":{}}`),
		"not JSON":        []byte(`<html>`),
		"empty set":       []byte(`{"keys":[]}`),
	} {
		if _, _, err := parsePublicJWKS(body); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAudienceAsStringOrArray: aud may be the endpoint URL or an array
// holding it (RFC 7519 §4.1.3), as the README says; an array without it,
// or with only a prefix of it, is refused.
func TestAudienceAsStringOrArray(t *testing.T) {
	key := newSigner(t, "k", jwa.ES256())
	file := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(file, jwksJSON(t, key), 0o600); err != nil {
		t.Fatal(err)
	}
	a := mustAuth(t, Config{PublicBaseURL: testBase, Issuers: []Issuer{{Iss: testIss, JWKSFile: file}}, Now: func() time.Time { return testNow }})
	const path = "/cds-services/patient-view"
	for _, tt := range []struct {
		name string
		aud  any
		ok   bool
	}{
		{"string", testBase + path, true},
		{"array with it", []string{"https://other.example", testBase + path}, true},
		{"array of one", []string{testBase + path}, true},
		{"array without it", []string{"https://other.example", testBase + "/cds-services"}, false},
		{"prefix only", testBase, false},
	} {
		c := claims(path, testNow)
		c["aud"] = tt.aud
		_, err := a.Verify(context.Background(), key.Sign(t, c, nil), path)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want accepted = %v", tt.name, err, tt.ok)
		}
	}
}
