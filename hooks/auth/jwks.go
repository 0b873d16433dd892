package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"go.uber.org/zap"
)

// readJWKSFile reads an out-of-band JWK Set and keeps its usable public
// keys; dropped names each key left out and why.
func readJWKSFile(path string) (set jwk.Set, dropped []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read JWK Set: %w", err)
	}
	set, dropped, err = parsePublicJWKS(b)
	if err != nil {
		return nil, dropped, fmt.Errorf("JWK Set %s: %w", path, err)
	}
	return set, dropped, nil
}

// DroppedKeys names, without touching the network, every key of the
// configured JWK Set files that the service will not use and why (RSA
// below 2048 bits, unknown kty or crv, private material, no kid), for
// `fracturecds config check`. The rest of each set is used.
func DroppedKeys(cfg Config) []string {
	var out []string
	for i, is := range cfg.Issuers {
		if is.JWKSFile == "" {
			continue
		}
		_, dropped, _ := readJWKSFile(is.JWKSFile)
		for _, d := range dropped {
			out = append(out, fmt.Sprintf("auth.issuers[%d].jwks_file: %s dropped", i, d))
		}
	}
	return out
}

// logDropped names every dropped key once, with the issuer and where the
// set came from (a file path or the JWK Set URL; neither is secret).
func logDropped(logger *zap.Logger, iss, from string, dropped []string) {
	for _, d := range dropped {
		logger.Warn("JWK Set key dropped as unusable; the other keys are used",
			zap.String("iss", iss), zap.String("jwks", from), zap.String("key", d))
	}
}

// curves are the EC curves of the allowed algorithms (ES256/384/512).
var curves = map[string]bool{"P-256": true, "P-384": true, "P-521": true}

// privateMembers are the JWK members that carry private key material
// (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// parsePublicJWKS parses a JWK Set key by key and keeps the EC and RSA
// public keys the service can safely verify with. Every other key is
// dropped and named in dropped ("key 2 (kid \"old\"): RSA key of 1024
// bits"), so that one weak or odd key does not reject the whole set. It
// fails only when b is no JWK Set or no key is usable.
func parsePublicJWKS(b []byte) (jwk.Set, []string, error) {
	var doc struct {
		Keys *[]json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Keys == nil {
		return nil, nil, errors.New("not a JWK Set")
	}
	out := jwk.NewSet()
	var dropped []string
	for i, raw := range *doc.Keys {
		kid, reason := usableKey(raw)
		if reason == "" {
			k, err := publicKey(raw)
			if err != nil {
				reason = err.Error()
			} else if err := out.AddKey(k); err != nil {
				reason = "not added to the set: " + err.Error()
			}
		}
		if reason != "" {
			name := fmt.Sprintf("key %d", i)
			if kid != "" {
				name += fmt.Sprintf(" (kid %q)", kid)
			}
			dropped = append(dropped, name+": "+reason)
		}
	}
	if out.Len() == 0 {
		return nil, dropped, errors.New("no usable EC or RSA key with a kid")
	}
	return out, dropped, nil
}

// usableKey judges one JWK by its members before the library parses it:
// kty, crv, kid and the absence of private material. It returns the kid
// (for naming the key) and "" or the reason to drop it.
func usableKey(raw json.RawMessage) (kid, reason string) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", "not a JSON object"
	}
	str := func(name string) string {
		var v string
		_ = json.Unmarshal(m[name], &v)
		return v
	}
	kid = str("kid")
	if len(kid) > 128 {
		kid = kid[:128]
	}
	for _, p := range privateMembers {
		if _, ok := m[p]; ok {
			return kid, "contains private key material (publish public keys only)"
		}
	}
	switch kty := str("kty"); kty {
	case "RSA":
		// jwx refuses a small modulus while parsing, which would read as a
		// malformed key; the size is the reason worth telling an operator.
		n, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(str("n"), "="))
		if err != nil {
			return kid, "malformed RSA modulus"
		}
		if bits := new(big.Int).SetBytes(n).BitLen(); bits < minRSABits {
			return kid, fmt.Sprintf("RSA key of %d bits (at least %d required)", bits, minRSABits)
		}
	case "EC":
		if crv := str("crv"); !curves[crv] {
			return kid, fmt.Sprintf("unknown crv %q", crv)
		}
	default:
		return kid, fmt.Sprintf("unsupported kty %q (EC and RSA only)", kty)
	}
	if kid == "" {
		return kid, "no kid"
	}
	return kid, ""
}

// publicKey parses one JWK that usableKey accepted (jwx validates the
// key's numbers: a point on its curve, an RSA modulus of 2048 bits or
// more).
func publicKey(raw json.RawMessage) (jwk.Key, error) {
	k, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, errors.New("malformed key")
	}
	return k, nil
}

// staticKeys is a JWK Set exchanged out of band.
type staticKeys struct{ set jwk.Set }

func (s staticKeys) keys(context.Context, string) (jwk.Set, error) { return s.set, nil }

// remoteKeys is a JWK Set fetched from a URL: cached, refreshed when
// older than refresh or when a token names a kid it lacks (at most once
// per minInterval), and kept when a refresh fails, so a key endpoint that
// is down does not lock out an EHR whose keys are known.
type remoteKeys struct {
	url         string
	issuer      string
	onFetch     func(issuer string, ok bool)
	logger      *zap.Logger
	client      *http.Client
	now         func() time.Time
	timeout     time.Duration
	refresh     time.Duration
	minInterval time.Duration
	// sem serialises downloads; waiting on it respects the caller's ctx.
	sem chan struct{}

	mu          sync.Mutex
	set         jwk.Set
	fetchedAt   time.Time
	lastAttempt time.Time
}

func (r *remoteKeys) state() (jwk.Set, time.Time, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set, r.fetchedAt, r.lastAttempt
}

// needFetch says whether to download now. A set that lacks kid or is
// stale is refetched, but never twice within minInterval.
func (r *remoteKeys) needFetch(kid string) bool {
	set, fetched, last := r.state()
	now := r.now()
	if set != nil {
		_, has := set.LookupKeyID(kid)
		if has && now.Sub(fetched) < r.refresh {
			return false
		}
	}
	return last.IsZero() || now.Sub(last) >= r.minInterval
}

func (r *remoteKeys) keys(ctx context.Context, kid string) (jwk.Set, error) {
	if r.needFetch(kid) {
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		// Another request may have fetched while this one waited.
		if r.needFetch(kid) {
			set, err := r.fetch(ctx)
			if r.onFetch != nil {
				r.onFetch(r.issuer, err == nil)
			}
			r.mu.Lock()
			r.lastAttempt = r.now()
			if err == nil {
				r.set, r.fetchedAt = set, r.lastAttempt
			}
			r.mu.Unlock()
		}
		<-r.sem
	}
	set, _, _ := r.state()
	if set == nil {
		return nil, errors.New("JWK Set not available")
	}
	return set, nil
}

func (r *remoteKeys) fetch(ctx context.Context) (jwk.Set, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxJWKSBytes {
		return nil, errors.New("JWK Set too large")
	}
	set, dropped, err := parsePublicJWKS(b)
	logDropped(r.logger, r.issuer, r.url, dropped)
	return set, err
}
