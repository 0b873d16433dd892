// Package authtest makes what tests of CDS client authentication need:
// key pairs with their public JWK Sets, JWTs signed with them (or built by
// hand, for what no library will sign), a JWK Set server that tests can
// swap and count, and a settable clock. It is imported by tests only.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Signer is a generated key pair with its kid and algorithm.
type Signer struct {
	Kid  string
	Alg  jwa.SignatureAlgorithm
	Priv any
	// Pub is the public JWK, kid set; nil for an RSA key below 2048 bits,
	// which jwx refuses to represent.
	Pub jwk.Key
	// PubJSON is the public JWK as JSON (always set).
	PubJSON json.RawMessage
}

// NewSigner generates a key for alg: the alg's curve for ES*, RSA-2048
// for RS* and PS*.
func NewSigner(t testing.TB, kid string, alg jwa.SignatureAlgorithm) Signer {
	t.Helper()
	switch alg.String()[:2] {
	case "ES":
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg.String()]
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return signerOf(t, kid, alg, k, &k.PublicKey)
	default:
		return NewRSASigner(t, kid, alg, 2048)
	}
}

// NewRSASigner generates an RSA key of bits for alg (RS* or PS*), for
// tests of keys too small to be trusted. jwx refuses keys below 2048 bits,
// so such a key's public JWK is written by hand (RFC 7518 §6.3.1).
func NewRSASigner(t testing.TB, kid string, alg jwa.SignatureAlgorithm, bits int) Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	if bits >= 2048 {
		return signerOf(t, kid, alg, k, &k.PublicKey)
	}
	enc := base64.RawURLEncoding
	pub, _ := json.Marshal(map[string]string{
		"kty": "RSA", "kid": kid,
		"n": enc.EncodeToString(k.N.Bytes()), "e": enc.EncodeToString(big.NewInt(int64(k.E)).Bytes()),
	})
	return Signer{Kid: kid, Alg: alg, Priv: k, PubJSON: pub}
}

func signerOf(t testing.TB, kid string, alg jwa.SignatureAlgorithm, priv, pub any) Signer {
	t.Helper()
	jk, err := jwk.Import(pub)
	if err != nil {
		t.Fatal(err)
	}
	_ = jk.Set(jwk.KeyIDKey, kid)
	b, err := json.Marshal(jk)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{Kid: kid, Alg: alg, Priv: priv, Pub: jk, PubJSON: b}
}

// JWKS is the public JWK Set of signers, as JSON.
func JWKS(t testing.TB, signers ...Signer) []byte {
	t.Helper()
	keys := []json.RawMessage{}
	for _, s := range signers {
		keys = append(keys, s.PubJSON)
	}
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Sign makes a compact JWS over payload with header fields hdr (typ JWT
// and kid are added unless hdr sets them; a nil value removes one).
func (s Signer) Sign(t testing.TB, payload map[string]any, hdr map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	fields := map[string]any{"typ": "JWT", "kid": s.Kid}
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
	tok, err := jws.Sign(body, jws.WithKey(s.Alg, s.Priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// RawToken builds a compact token by hand, for what no library will sign
// (alg none, HMAC with a public key as secret).
func RawToken(hdr, payload map[string]any, sig func(signingInput string) []byte) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(hdr)
	p, _ := json.Marshal(payload)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	return in + "." + enc.EncodeToString(sig(in))
}

// JWKSServer serves a JWK Set that tests can swap, counting fetches.
type JWKSServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	Fetches atomic.Int64
	delay   time.Duration
}

// NewJWKSServer serves body until Set changes it; closed at cleanup.
func NewJWKSServer(t testing.TB, body []byte) *JWKSServer {
	js := &JWKSServer{body: body}
	js.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.Fetches.Add(1)
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

// Set makes the server answer body after delay from now on.
func (js *JWKSServer) Set(body []byte, delay time.Duration) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.body, js.delay = body, delay
}

// Clock is a settable test clock.
type Clock struct {
	mu sync.Mutex
	T  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.T
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.T = c.T.Add(d)
}
