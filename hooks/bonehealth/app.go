package bonehealth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// FactSource gathers a patient's facts from a FHIR server. *fhir.Gatherer
// implements it; it is the same reading of the record the CDS service uses.
type FactSource interface {
	Facts(ctx context.Context, in fhir.Input) (fhir.Result, error)
}

// Config is what the app needs; package cmd fills it.
type Config struct {
	Logger *zap.Logger
	Facts  FactSource
	// Thresholds are the rules' thresholds, as for the cards.
	Thresholds rules.Thresholds
	// PublicURL is the service's external base URL (scheme://host[:port]
	// [/prefix]); the redirect URI is PublicURL + "/bone-health/callback".
	PublicURL string
	// ClientID is the app's OAuth 2.0 client id at the EHR's authorization
	// server (a public client: PKCE, no secret).
	ClientID string
	// AllowServer must approve iss (the FHIR base URL) before anything is
	// sent to it: the same allow-list as the CDS path's fhirServer.
	AllowServer func(base string) bool
	// HTTPClient performs discovery and the token request; nil means a
	// client with a 10 s timeout. Redirects are never followed.
	HTTPClient *http.Client
	// Now is the clock (tests pin it to a seed case's date).
	Now func() time.Time
	// SessionTTL bounds a session's life (default 1 hour, and never
	// beyond the access token's expiry); LaunchTTL bounds the time from
	// launch to callback (default 10 minutes).
	SessionTTL, LaunchTTL time.Duration
}

// Paths of the app, below the service root. hooks/handler.go routes them.
const (
	LaunchPath   = "/bone-health/launch"
	CallbackPath = "/bone-health/callback"
	ViewPath     = "/bone-health/"
)

// Cookie names. The launch cookie binds a state to the browser that
// started the launch; the session cookie names the server-side session.
const (
	launchCookie  = "fracturecds_bh_launch"
	sessionCookie = "fracturecds_bh_session"
)

// V2Scopes are the narrowest SMART v2 scopes the view needs: read and
// search of the resources the facts are made of, for the launch patient.
var V2Scopes = []string{"launch", "patient/Patient.rs", "patient/Observation.rs", "patient/Condition.rs",
	"patient/MedicationStatement.rs", "patient/MedicationRequest.rs", "patient/MedicationAdministration.rs"}

// V1Scopes are the SMART v1 equivalents, for servers that know no v2.
var V1Scopes = []string{"launch", "patient/Patient.read", "patient/Observation.read", "patient/Condition.read",
	"patient/MedicationStatement.read", "patient/MedicationRequest.read", "patient/MedicationAdministration.read"}

// App serves the SMART launch, the OAuth callback and the view.
type App struct {
	cfg    Config
	client *http.Client

	mu       sync.Mutex
	launches map[string]*pendingLaunch // by state
	sessions map[string]*session       // by session id
}

// pendingLaunch is a launch waiting for its callback.
type pendingLaunch struct {
	iss, launch, verifier string
	// browser is the value of the launch cookie set on the browser that
	// started the launch: a callback from another browser is refused.
	browser string
	oauth   oauth2.Config
	expires time.Time
}

// session is one launched view: the FHIR server, the patient and the
// access token ("" for an open server). It never leaves the process.
type session struct {
	iss, patient, token string
	open                bool
	expires             time.Time
}

// New returns the app for cfg.
func New(cfg Config) *App {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = time.Hour
	}
	if cfg.LaunchTTL <= 0 {
		cfg.LaunchTTL = 10 * time.Minute
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "fracturecds-bone-health"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	client := &http.Client{Timeout: 10 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	// A redirect could carry the code, the verifier or the token to
	// another host.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &App{cfg: cfg, client: client, launches: map[string]*pendingLaunch{}, sessions: map[string]*session{}}
}

// LaunchURL is the URL a card's smart link points at.
func (a *App) LaunchURL() string { return a.cfg.PublicURL + LaunchPath }

// failure is an error page: a status and a message safe to show (it never
// holds a token, code or patient id).
type failure struct {
	status int
	msg    rules.Text
}

func (f *failure) Error() string { return f.msg.EN }

var (
	errIssNotAllowed = &failure{http.StatusForbidden, rules.Text{NL: "Deze FHIR-server (iss) is niet toegestaan.", EN: "This FHIR server (iss) is not allowed."}}
	errBadLaunch     = &failure{http.StatusBadRequest, rules.Text{NL: "Ongeldige start: iss en launch zijn nodig.", EN: "Invalid launch: iss and launch are required."}}
	errDiscovery     = &failure{http.StatusBadGateway, rules.Text{NL: "De SMART-configuratie van de FHIR-server is niet bruikbaar.", EN: "The FHIR server's SMART configuration is not usable."}}
	errBadState      = &failure{http.StatusBadRequest, rules.Text{NL: "Onbekende, verlopen of al gebruikte start (state). Start de app opnieuw vanuit het EPD.", EN: "Unknown, expired or already used launch (state). Launch the app again from the EHR."}}
	errAuthorization = &failure{http.StatusForbidden, rules.Text{NL: "De autorisatie is geweigerd of mislukt.", EN: "Authorization was denied or failed."}}
	errNoSession     = &failure{http.StatusUnauthorized, rules.Text{NL: "Geen sessie. Start de app vanuit het EPD.", EN: "No session. Launch the app from the EHR."}}
	errNoPatient     = &failure{http.StatusBadRequest, rules.Text{NL: "De start bevat geen patiënt.", EN: "The launch names no patient."}}
	errFHIR          = &failure{http.StatusBadGateway, rules.Text{NL: "De gegevens konden niet van de FHIR-server worden gelezen.", EN: "The record could not be read from the FHIR server."}}
)

// Launch handles the EHR launch: GET /bone-health/launch?iss=…&launch=….
// It checks iss against the allow-list, reads the server's
// .well-known/smart-configuration and redirects to its authorization
// endpoint with PKCE (S256), a fresh state bound to this browser by a
// cookie, and the narrowest patient scopes. A server without a SMART
// configuration (404) is an open server: the view reads it without a
// token, for the patient the link names (?patient=).
func (a *App) Launch(w http.ResponseWriter, r *http.Request, lang string) {
	q := r.URL.Query()
	iss, launch := q.Get("iss"), q.Get("launch")
	if iss == "" {
		a.fail(w, lang, "launch", errBadLaunch)
		return
	}
	if a.cfg.AllowServer == nil || !a.cfg.AllowServer(iss) {
		a.fail(w, lang, "launch", errIssNotAllowed)
		return
	}
	iss = strings.TrimRight(iss, "/")
	conf, err := a.discover(r.Context(), iss)
	if errors.Is(err, errOpenServer) {
		patient := q.Get("patient")
		if patient == "" {
			a.fail(w, lang, "launch", errNoPatient)
			return
		}
		a.startSession(w, r, &session{iss: iss, patient: patient, open: true, expires: a.cfg.Now().Add(a.cfg.SessionTTL)})
		a.cfg.Logger.Info("bone-health launch", zap.String("mode", "open-server"))
		return
	}
	if err != nil {
		a.fail(w, lang, "discovery", errDiscovery)
		return
	}
	if launch == "" {
		a.fail(w, lang, "launch", errBadLaunch)
		return
	}
	scopes := V1Scopes
	if conf.v2() {
		scopes = V2Scopes
	}
	p := &pendingLaunch{
		iss: iss, launch: launch, verifier: oauth2.GenerateVerifier(), browser: randomToken(),
		expires: a.cfg.Now().Add(a.cfg.LaunchTTL),
		oauth: oauth2.Config{
			ClientID:    a.cfg.ClientID,
			Endpoint:    oauth2.Endpoint{AuthURL: conf.AuthorizationEndpoint, TokenURL: conf.TokenEndpoint, AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL: a.cfg.PublicURL + CallbackPath,
			Scopes:      scopes,
		},
	}
	state := randomToken()
	a.mu.Lock()
	a.sweep()
	a.launches[state] = p
	a.mu.Unlock()
	http.SetCookie(w, a.cookie(r, launchCookie, p.browser, a.cfg.LaunchTTL))
	u := p.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(p.verifier),
		oauth2.SetAuthURLParam("launch", launch), oauth2.SetAuthURLParam("aud", iss))
	a.cfg.Logger.Info("bone-health launch", zap.String("mode", "smart"), zap.Strings("scopes", scopes))
	http.Redirect(w, r, u, http.StatusFound)
}

// Callback handles GET /bone-health/callback?code=…&state=…: the state must
// be one this app issued, unexpired, unused, and started in this browser;
// it is consumed before the code is exchanged, so a replayed code or state
// is refused. The token goes into a server-side session.
func (a *App) Callback(w http.ResponseWriter, r *http.Request, lang string) {
	q := r.URL.Query()
	state := q.Get("state")
	a.mu.Lock()
	p, ok := a.launches[state]
	if ok {
		delete(a.launches, state) // one use, whatever follows
	}
	a.mu.Unlock()
	http.SetCookie(w, a.cookie(r, launchCookie, "", -1))
	if !ok || state == "" || a.cfg.Now().After(p.expires) {
		a.fail(w, lang, "callback", errBadState)
		return
	}
	c, err := r.Cookie(launchCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(p.browser)) != 1 {
		a.fail(w, lang, "callback", errBadState)
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		a.cfg.Logger.Info("bone-health authorization refused", zap.String("error", short(q.Get("error"))))
		a.fail(w, lang, "callback", errAuthorization)
		return
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, a.client)
	tok, err := p.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		// The error may quote the server's answer: log only its OAuth
		// error code.
		code := "transport"
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			code = short(re.ErrorCode)
		}
		a.cfg.Logger.Info("bone-health token request failed", zap.String("error", code))
		a.fail(w, lang, "token", errAuthorization)
		return
	}
	patient, _ := tok.Extra("patient").(string)
	if patient == "" {
		a.fail(w, lang, "token", errNoPatient)
		return
	}
	expires := a.cfg.Now().Add(a.cfg.SessionTTL)
	if !tok.Expiry.IsZero() && tok.Expiry.Before(expires) {
		expires = tok.Expiry
	}
	a.startSession(w, r, &session{iss: p.iss, patient: patient, token: tok.AccessToken, expires: expires})
}

// View handles GET /bone-health/: the page of the session's patient.
func (a *App) View(w http.ResponseWriter, r *http.Request, lang string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		a.fail(w, lang, "view", errNoSession)
		return
	}
	a.mu.Lock()
	s, ok := a.sessions[c.Value]
	if ok && a.cfg.Now().After(s.expires) {
		delete(a.sessions, c.Value)
		ok = false
	}
	a.mu.Unlock()
	if !ok {
		a.fail(w, lang, "view", errNoSession)
		return
	}
	now := a.cfg.Now()
	in := fhir.Input{
		Hook: rules.PatientView, PatientID: s.patient, FHIRServer: s.iss, AccessToken: s.token, OpenServer: s.open,
		// ServiceRequests are outside the scopes asked for: known empty.
		Prefetch: map[string]json.RawMessage{"serviceRequests": json.RawMessage("null")},
		AsOf:     now,
	}
	res, err := a.cfg.Facts.Facts(r.Context(), in)
	if err != nil {
		// fhir errors name the key and a reason, never the URL or token.
		a.cfg.Logger.Info("bone-health read failed", zap.Error(err))
		a.fail(w, lang, "view", errFHIR)
		return
	}
	a.page(w, res.Facts, lang)
}

// ServeRequest writes the view of the patient of a CDS Hooks request body
// (its context.patientId and prefetch, read by the same Gatherer as the
// service), at asOf: for the demo, whose example and seed patients are
// requests, not a FHIR server. Nothing is fetched: a prefetch key the
// request lacks counts as empty.
func (a *App) ServeRequest(w http.ResponseWriter, request []byte, asOf time.Time, lang string) {
	var req struct {
		Context struct {
			PatientID string `json:"patientId"`
		} `json:"context"`
		Prefetch map[string]json.RawMessage `json:"prefetch"`
	}
	if err := json.Unmarshal(request, &req); err != nil || req.Context.PatientID == "" {
		a.fail(w, lang, "demo", errNoPatient)
		return
	}
	prefetch := map[string]json.RawMessage{}
	for _, k := range []string{fhir.KeyPatient, fhir.KeyConditions, fhir.KeyDXA, fhir.KeyLabs, fhir.KeyMedicationStatements,
		fhir.KeyMedicationRequests, fhir.KeyMedicationAdministrations, fhir.KeyServiceRequests} {
		prefetch[k] = json.RawMessage("null")
	}
	for k, v := range req.Prefetch {
		prefetch[k] = v
	}
	in := fhir.Input{Hook: rules.PatientView, PatientID: strings.TrimPrefix(req.Context.PatientID, "Patient/"), Prefetch: prefetch, AsOf: asOf}
	res, err := a.cfg.Facts.Facts(context.Background(), in)
	if err != nil {
		a.cfg.Logger.Info("bone-health demo read failed", zap.Error(err))
		a.fail(w, lang, "demo", errFHIR)
		return
	}
	a.page(w, res.Facts, lang)
}

// ServeFacts writes the view of facts (no SMART, no FHIR server): for the
// demo, which has its example patients' facts at hand.
func (a *App) ServeFacts(w http.ResponseWriter, facts rules.Facts, lang string) {
	a.page(w, facts, lang)
}

func (a *App) page(w http.ResponseWriter, facts rules.Facts, lang string) {
	nonce := randomToken()
	var buf bytes.Buffer
	if err := Render(&buf, facts, a.cfg.Thresholds, lang, nonce); err != nil {
		a.cfg.Logger.Error("bone-health render failed", zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setPageHeaders(w, nonce)
	w.Header().Set("Content-Language", langOr(lang))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// setPageHeaders relaxes the service's JSON-only CSP for this HTML page:
// the one <style> element by nonce, nothing else (no scripts, no external
// assets, no images).
func setPageHeaders(w http.ResponseWriter, nonce string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
}

func (a *App) startSession(w http.ResponseWriter, r *http.Request, s *session) {
	id := randomToken()
	a.mu.Lock()
	a.sweep()
	a.sessions[id] = s
	a.mu.Unlock()
	http.SetCookie(w, a.cookie(r, sessionCookie, id, s.expires.Sub(a.cfg.Now())))
	// 303 to the view: no code, state or token stays in the address bar.
	http.Redirect(w, r, a.cfg.PublicURL+ViewPath, http.StatusSeeOther)
}

// sweep drops expired launches and sessions; a.mu must be held.
func (a *App) sweep() {
	now := a.cfg.Now()
	for k, p := range a.launches {
		if now.After(p.expires) {
			delete(a.launches, k)
		}
	}
	for k, s := range a.sessions {
		if now.After(s.expires) {
			delete(a.sessions, k)
		}
	}
}

// cookie is HttpOnly, SameSite=Lax (the callback is a top-level redirect
// from the authorization server, which Lax allows), scoped to the app's
// path, and Secure when the public URL is https.
func (a *App) cookie(r *http.Request, name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/bone-health/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(a.cfg.PublicURL, "https://") || r.TLS != nil}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge.Seconds())
	}
	return c
}

func (a *App) fail(w http.ResponseWriter, lang, step string, f *failure) {
	a.cfg.Logger.Info("bone-health refused", zap.String("step", step), zap.Int("status", f.status), zap.String("reason", f.msg.EN))
	nonce := randomToken()
	setPageHeaders(w, nonce)
	w.WriteHeader(f.status)
	_ = errorTemplate.Execute(w, struct{ Lang, Msg, Nonce string }{langOr(lang), f.msg.In(lang), nonce})
}

func langOr(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "nl"
}

// short caps a server-supplied error code for the log.
func short(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// randomToken is 32 random bytes, base64url: states, verifiers' companions,
// session ids and nonces.
func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// smartConfiguration is the part of .well-known/smart-configuration the
// app reads (SMART App Launch 2.0 §Conformance).
type smartConfiguration struct {
	AuthorizationEndpoint         string   `json:"authorization_endpoint"`
	TokenEndpoint                 string   `json:"token_endpoint"`
	Capabilities                  []string `json:"capabilities"`
	ScopesSupported               []string `json:"scopes_supported"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
}

// v2 reports whether the server speaks SMART v2 scopes.
func (c smartConfiguration) v2() bool {
	for _, x := range c.Capabilities {
		if x == "permission-v2" {
			return true
		}
	}
	for _, s := range c.ScopesSupported {
		if strings.HasSuffix(s, ".rs") || strings.HasSuffix(s, ".cruds") {
			return true
		}
	}
	return false
}

// errOpenServer means the server publishes no SMART configuration.
var errOpenServer = errors.New("no SMART configuration")

func (a *App) discover(ctx context.Context, iss string) (smartConfiguration, error) {
	var conf smartConfiguration
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, iss+"/.well-known/smart-configuration", nil)
	if err != nil {
		return conf, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return conf, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return conf, errOpenServer
	}
	if resp.StatusCode != http.StatusOK {
		return conf, fmt.Errorf("smart-configuration: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&conf); err != nil {
		return conf, fmt.Errorf("smart-configuration: %w", err)
	}
	for _, e := range []string{conf.AuthorizationEndpoint, conf.TokenEndpoint} {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return conf, errors.New("smart-configuration: unusable endpoint")
		}
	}
	if len(conf.CodeChallengeMethodsSupported) > 0 && !contains(conf.CodeChallengeMethodsSupported, "S256") {
		return conf, errors.New("smart-configuration: no S256 PKCE")
	}
	return conf, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
