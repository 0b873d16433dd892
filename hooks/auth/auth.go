package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"go.uber.org/zap"
)

// Defaults for Config fields left zero.
const (
	// DefaultClockSkew is the leeway on exp and iat: EHR and service
	// clocks are NTP-synchronised in a hospital, so one minute is ample.
	DefaultClockSkew = time.Minute
	// DefaultMaxTokenLifetime caps exp - iat. CDS clients sign a fresh JWT
	// per call (the sandbox uses 5 minutes); a long-lived token is a
	// bearer credential in disguise and would sit in the replay store.
	DefaultMaxTokenLifetime = time.Hour
	// DefaultJWKSFetchTimeout bounds one JWK Set download, which may
	// happen on the request path (first call, unknown kid, stale set).
	DefaultJWKSFetchTimeout = 2 * time.Second
	// DefaultJWKSRefresh is how old a fetched JWK Set may get before the
	// next request refreshes it.
	DefaultJWKSRefresh = 15 * time.Minute
	// DefaultJWKSMinInterval is the least time between two downloads of
	// one JWK Set, so that tokens with made-up kids cannot make the service
	// hammer the EHR's key endpoint.
	DefaultJWKSMinInterval = 30 * time.Second

	maxTokenBytes = 16 << 10
	maxJWKSBytes  = 256 << 10
	minRSABits    = 2048
)

// allowedAlgs are the JWS algorithms a CDS client may sign with: the
// asymmetric ones of RFC 7518. CDS Hooks 2.0.1 forbids none and HMAC.
var allowedAlgs = map[string]bool{
	"ES256": true, "ES384": true, "ES512": true,
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
}

// Issuer is one trusted CDS client (an EHR): its JWT issuer, where its
// public keys come from, and what it may ask the service to do.
type Issuer struct {
	// Iss is the exact `iss` claim.
	Iss string
	// JWKSURL is the issuer's JWK Set URL (fetched, cached, refreshed).
	// Exactly one of JWKSURL and JWKSFile is set.
	JWKSURL string
	// JWKSFile is a JWK Set exchanged out of band, read at start.
	JWKSFile string
	// JKUURLs are further JWK Set URLs a token's `jku` header may name
	// (JWKSURL is always allowed). A `jku` not listed is never fetched.
	JKUURLs []string
	// Tenants, when not empty, is the allow-list of `tenant` claims; a
	// token without one of them is rejected.
	Tenants []string
	// FHIRServers are the FHIR base URLs this issuer's requests may name
	// as fhirServer; the access token is sent to no other server.
	FHIRServers []string
}

// Config configures CDS client authentication (CDS Hooks 2.0.1
// §Trusting CDS Clients).
type Config struct {
	// PublicBaseURL is the service's external base URL; the expected
	// `aud` of a call is PublicBaseURL + the request path (never the Host
	// header, which the caller controls).
	PublicBaseURL string
	Issuers       []Issuer
	// ClockSkew is the leeway on exp and iat; 0 means DefaultClockSkew.
	ClockSkew time.Duration
	// MaxTokenLifetime caps exp - iat; 0 means DefaultMaxTokenLifetime.
	MaxTokenLifetime time.Duration
	// Replay remembers jti values until expiry; nil means an in-memory
	// store (one replica only: see README "Authentication").
	Replay ReplayStore
	// HTTPClient fetches JWK Sets; nil means a client with
	// JWKSFetchTimeout. Redirects are never followed.
	HTTPClient *http.Client
	// JWKSFetchTimeout, JWKSRefresh and JWKSMinInterval tune JWK Set
	// fetching; 0 means the defaults above.
	JWKSFetchTimeout time.Duration
	JWKSRefresh      time.Duration
	JWKSMinInterval  time.Duration
	// Now is the clock (tests pin it); nil means time.Now.
	Now func() time.Time
	// OnJWKSFetch, when set, is told about every JWK Set download with
	// the configured issuer it serves (Metrics.JWKSRefresh fits).
	OnJWKSFetch func(issuer string, ok bool)
	// Logger names every JWK Set key that is dropped as unusable; nil
	// logs nothing.
	Logger *zap.Logger
}

// ReplayStore remembers the jti of every accepted token until it expires.
// The in-memory store serves one replica; several replicas need a shared
// implementation (a database table with a unique key and an expiry).
type ReplayStore interface {
	// Remember records key until expires. It returns false when key is
	// already recorded and not yet expired (a replay).
	Remember(ctx context.Context, key string, expires time.Time) (bool, error)
}

// Caller is the authenticated CDS client of a request.
type Caller struct {
	// Issuer is the verified `iss`.
	Issuer string
	// Tenant is the verified `tenant` claim, "" when absent.
	Tenant string
	// fhirServers are the normalised FHIR base URLs the issuer
	// allow-lists (shared with the issuer, never written after New).
	fhirServers map[string]bool
}

// AllowsFHIRServer reports whether a request from c may have the service
// call fhirServer (with its access token): only a base URL the calling
// issuer allow-lists.
func (c Caller) AllowsFHIRServer(fhirServer string) bool {
	n, err := normalizeFHIRBase(fhirServer)
	return err == nil && c.fhirServers[n]
}

// Authenticator verifies CDS client JWTs. It is safe for concurrent use.
type Authenticator struct {
	base        string
	issuers     map[string]*issuer
	skew        time.Duration
	maxLifetime time.Duration
	replay      ReplayStore
	now         func() time.Time
}

type issuer struct {
	cfg         Issuer
	defaultKeys keySource
	jku         map[string]keySource
	fhirServers map[string]bool
	tenants     map[string]bool
}

// keySource yields the JWK Set to verify a token whose header names kid.
type keySource interface {
	keys(ctx context.Context, kid string) (jwk.Set, error)
}

// Error is any reason to answer 401. Reason goes to the log, never to
// the client.
type Error struct {
	// Reason names the failed check ("expired", "jti replayed", ...).
	Reason string
}

func (e *Error) Error() string { return "unauthorized: " + e.Reason }

func unauthorized(reason string) error { return &Error{Reason: reason} }

// CheckConfig returns every problem in cfg without touching the network
// (JWK Set files are read and parsed). `fracturecds config check` and New
// use it.
func CheckConfig(cfg Config) []string {
	var problems []string
	if len(cfg.Issuers) == 0 {
		return nil
	}
	if msg := checkBaseURL(cfg.PublicBaseURL); msg != "" {
		problems = append(problems, "public_base_url "+msg)
	}
	seen := map[string]bool{}
	for i, is := range cfg.Issuers {
		where := fmt.Sprintf("auth.issuers[%d]", i)
		if is.Iss == "" {
			problems = append(problems, where+".iss is required")
		} else if seen[is.Iss] {
			problems = append(problems, where+".iss is listed twice")
		}
		seen[is.Iss] = true
		switch {
		case (is.JWKSURL == "") == (is.JWKSFile == ""):
			problems = append(problems, where+": set exactly one of jwks_url and jwks_file")
		case is.JWKSFile != "":
			if _, _, err := readJWKSFile(is.JWKSFile); err != nil {
				problems = append(problems, fmt.Sprintf("%s.jwks_file: %v", where, err))
			}
		default:
			if msg := checkHTTPSURL(is.JWKSURL); msg != "" {
				problems = append(problems, where+".jwks_url "+msg)
			}
		}
		for _, u := range is.JKUURLs {
			if msg := checkHTTPSURL(u); msg != "" {
				problems = append(problems, where+".jku_urls "+msg)
			}
		}
		for _, u := range is.FHIRServers {
			if _, err := normalizeFHIRBase(u); err != nil {
				problems = append(problems, fmt.Sprintf("%s.fhir_servers %q: %v", where, u, err))
			}
		}
	}
	return problems
}

// New checks cfg and returns its Authenticator. It does not
// fetch any JWK Set: URLs are fetched on first use, so a slow or down key
// endpoint never blocks start-up.
func New(cfg Config) (*Authenticator, error) {
	if len(cfg.Issuers) == 0 {
		return nil, errors.New("auth: no issuers configured")
	}
	if p := CheckConfig(cfg); len(p) > 0 {
		return nil, fmt.Errorf("auth: %s", strings.Join(p, "; "))
	}
	a := &Authenticator{
		base:        strings.TrimRight(cfg.PublicBaseURL, "/"),
		issuers:     map[string]*issuer{},
		skew:        orDefault(cfg.ClockSkew, DefaultClockSkew),
		maxLifetime: orDefault(cfg.MaxTokenLifetime, DefaultMaxTokenLifetime),
		replay:      cfg.Replay,
		now:         cfg.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.replay == nil {
		a.replay = NewMemoryReplayStore(0, a.now)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	fetchTimeout := orDefault(cfg.JWKSFetchTimeout, DefaultJWKSFetchTimeout)
	client := &http.Client{Timeout: fetchTimeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	// A redirect could lead to keys the operator never allow-listed.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	remote := map[string]*remoteKeys{}
	remoteFor := func(u, iss string) *remoteKeys {
		if r, ok := remote[u]; ok {
			return r
		}
		r := &remoteKeys{
			url: u, issuer: iss, onFetch: cfg.OnJWKSFetch, logger: logger, client: client, now: a.now, timeout: fetchTimeout,
			refresh:     orDefault(cfg.JWKSRefresh, DefaultJWKSRefresh),
			minInterval: orDefault(cfg.JWKSMinInterval, DefaultJWKSMinInterval),
			sem:         make(chan struct{}, 1),
		}
		remote[u] = r
		return r
	}
	for _, is := range cfg.Issuers {
		iss := &issuer{cfg: is, jku: map[string]keySource{}, fhirServers: map[string]bool{}, tenants: map[string]bool{}}
		if is.JWKSFile != "" {
			set, dropped, err := readJWKSFile(is.JWKSFile)
			if err != nil {
				return nil, fmt.Errorf("auth: issuer %s: %w", is.Iss, err)
			}
			logDropped(logger, is.Iss, is.JWKSFile, dropped)
			iss.defaultKeys = staticKeys{set}
		} else {
			r := remoteFor(is.JWKSURL, is.Iss)
			iss.defaultKeys = r
			iss.jku[is.JWKSURL] = r
		}
		for _, u := range is.JKUURLs {
			iss.jku[u] = remoteFor(u, is.Iss)
		}
		for _, s := range is.FHIRServers {
			n, _ := normalizeFHIRBase(s)
			iss.fhirServers[n] = true
		}
		for _, t := range is.Tenants {
			iss.tenants[t] = true
		}
		a.issuers[is.Iss] = iss
	}
	return a, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Audience returns the `aud` a token must carry to call path.
func (a *Authenticator) Audience(path string) string { return a.base + path }

// Verify checks a compact JWT for a call to path, whose exact endpoint
// URL (Audience) the token's aud must name, and returns its caller. Every
// failure is an *Error (401) except a failing replay store, which is an
// internal error.
func (a *Authenticator) Verify(ctx context.Context, raw, path string) (Caller, error) {
	aud := a.Audience(path)
	if raw == "" {
		return Caller{}, unauthorized("no bearer token")
	}
	if len(raw) > maxTokenBytes || strings.Count(raw, ".") != 2 {
		return Caller{}, unauthorized("not a compact JWS")
	}
	msg, err := jws.Parse([]byte(raw), jws.WithCompact())
	if err != nil || len(msg.Signatures()) != 1 {
		return Caller{}, unauthorized("malformed JWS")
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	alg, ok := h.Algorithm()
	if !ok || !allowedAlgs[alg.String()] {
		return Caller{}, unauthorized("algorithm not allowed")
	}
	if typ, ok := h.Type(); !ok || !strings.EqualFold(typ, "JWT") {
		return Caller{}, unauthorized("typ is not JWT")
	}
	kid, ok := h.KeyID()
	if !ok || kid == "" {
		return Caller{}, unauthorized("no kid")
	}
	// The issuer picks the keys, so it is read before verification; it
	// counts only once the signature with that issuer's key verifies.
	var unverified struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(msg.Payload(), &unverified); err != nil {
		return Caller{}, unauthorized("payload is not a JSON object")
	}
	is, ok := a.issuers[unverified.Iss]
	if !ok {
		return Caller{}, unauthorized("issuer not allowed")
	}
	src := is.defaultKeys
	if jku, ok := h.JWKSetURL(); ok && jku != "" {
		// Honour jku only when allow-listed; otherwise the configured keys
		// decide (an unlisted URL is never fetched).
		if s, ok := is.jku[jku]; ok {
			src = s
		}
	}
	set, err := src.keys(ctx, kid)
	if err != nil {
		return Caller{}, unauthorized("issuer keys unavailable")
	}
	key, ok := set.LookupKeyID(kid)
	if !ok {
		return Caller{}, unauthorized("unknown kid")
	}
	if err := keyFits(key, alg); err != nil {
		return Caller{}, unauthorized(err.Error())
	}
	now := a.now()
	tok, err := jwt.Parse([]byte(raw),
		jwt.WithKey(alg, key),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
		jwt.WithAcceptableSkew(a.skew),
		jwt.WithIssuer(is.cfg.Iss),
		jwt.WithAudience(aud),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.JwtIDKey),
	)
	if err != nil {
		return Caller{}, unauthorized(classifyJWTError(err))
	}
	exp, _ := tok.Expiration()
	iat, _ := tok.IssuedAt()
	jti, _ := tok.JwtID()
	if jti == "" {
		return Caller{}, unauthorized("empty jti")
	}
	if iat.After(now.Add(a.skew)) {
		return Caller{}, unauthorized("iat in the future")
	}
	if exp.Sub(iat) > a.maxLifetime {
		return Caller{}, unauthorized("lifetime too long")
	}
	var tenant string
	if err := tok.Get("tenant", &tenant); err != nil && !errors.Is(err, jwt.ClaimNotFoundError()) {
		return Caller{}, unauthorized("tenant is not a string")
	}
	if len(is.tenants) > 0 && !is.tenants[tenant] {
		return Caller{}, unauthorized("tenant not allowed")
	}
	// Last, so that only a fully valid token consumes its jti.
	fresh, err := a.replay.Remember(ctx, is.cfg.Iss+"\x00"+jti, exp.Add(a.skew))
	if err != nil {
		return Caller{}, fmt.Errorf("replay store: %w", err)
	}
	if !fresh {
		return Caller{}, unauthorized("jti replayed")
	}
	return Caller{Issuer: is.cfg.Iss, Tenant: tenant, fhirServers: is.fhirServers}, nil
}

// keyFits refuses keys that cannot honestly verify alg: a symmetric key,
// a key of another type, a key whose own alg or use says otherwise, or an
// RSA key below 2048 bits.
func keyFits(key jwk.Key, alg jwa.SignatureAlgorithm) error {
	name := alg.String()
	switch key.KeyType() {
	case jwa.EC():
		if !strings.HasPrefix(name, "ES") {
			return errors.New("key type does not match alg")
		}
	case jwa.RSA():
		if !strings.HasPrefix(name, "RS") && !strings.HasPrefix(name, "PS") {
			return errors.New("key type does not match alg")
		}
		var pub rsa.PublicKey
		if err := jwk.Export(key, &pub); err != nil || pub.N.BitLen() < minRSABits {
			return errors.New("RSA key too small")
		}
	default:
		return errors.New("key type not allowed")
	}
	if ka, ok := key.Algorithm(); ok && ka.String() != "" && ka.String() != name {
		return errors.New("key alg does not match")
	}
	if use, ok := key.KeyUsage(); ok && use != "" && use != "sig" {
		return errors.New("key is not for signatures")
	}
	return nil
}

// classifyJWTError names the failed check for the log.
func classifyJWTError(err error) string {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return "expired"
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return "iat in the future"
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return "not yet valid"
	case errors.Is(err, jwt.InvalidAudienceError()):
		return "wrong aud"
	case errors.Is(err, jwt.InvalidIssuerError()):
		return "wrong iss"
	case errors.Is(err, jwt.MissingRequiredClaimError()):
		return "missing required claim"
	case errors.Is(err, jwt.ValidateError()):
		return "invalid claims"
	}
	return "bad signature"
}

// AllowedFHIRServers returns every allow-listed FHIR base URL, normalised,
// for the Gatherer's last-line check.
func (a *Authenticator) AllowedFHIRServers() map[string]bool {
	out := map[string]bool{}
	for _, is := range a.issuers {
		for s := range is.fhirServers {
			out[s] = true
		}
	}
	return out
}

// NormalizeFHIRBase returns the canonical form of a FHIR base URL used to
// compare it with an allow-list (lower-case scheme and host, no trailing
// slash), or an error when it is not an https URL (http only on a loopback
// host) without user info, query or fragment.
func NormalizeFHIRBase(s string) (string, error) { return normalizeFHIRBase(s) }

func normalizeFHIRBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", errors.New("not an absolute URL without user info, query or fragment")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopbackHost(u.Hostname()):
	default:
		return "", errors.New("https is required (http only on a loopback host)")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// IsLoopbackHost reports whether host (no port) is localhost or a
// loopback IP address.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func checkHTTPSURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return fmt.Sprintf("%q: not an absolute URL", s)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopbackHost(u.Hostname())) {
		return fmt.Sprintf("%q: https is required (http only on a loopback host)", s)
	}
	return ""
}

func checkBaseURL(s string) string {
	if s == "" {
		return "is required when auth.issuers is set (it defines the aud tokens must carry)"
	}
	if msg := checkHTTPSURL(s); msg != "" {
		return msg
	}
	u, _ := url.Parse(s)
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q: no query or fragment allowed", s)
	}
	return ""
}
