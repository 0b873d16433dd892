package bonehealth_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fracturecds/fracturecds/hooks/bonehealth"
)

// browserClient is a cookie-keeping client that follows no redirect, so a
// test sees every hop of the launch, as the browser's address bar would.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// hop is one response of the launch, kept whole for the token search.
type hop struct {
	status   int
	location string
	body     string
	header   http.Header
}

func get(t *testing.T, c *http.Client, u string) hop {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return hop{resp.StatusCode, resp.Header.Get("Location"), string(b), resp.Header}
}

// authorize starts a launch with c and follows it to the launcher's
// redirect back to the app: it returns the callback URL (code and state).
func (r *rig) authorize(t *testing.T, c *http.Client, patient string) (callback string, hops []hop) {
	t.Helper()
	h := get(t, c, r.launchURL(t, patient))
	hops = append(hops, h)
	if h.status != http.StatusFound || !strings.Contains(h.location, "/auth/authorize") {
		t.Fatalf("launch: HTTP %d to %q, want 302 to the authorization endpoint", h.status, h.location)
	}
	au, _ := url.Parse(h.location)
	q := au.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("aud") != r.iss {
		t.Errorf("authorize request %v: want PKCE S256, a state and aud = iss", q)
	}
	if s := q.Get("scope"); !strings.Contains(s, "patient/Observation.rs") || strings.Contains(s, "*") || strings.Contains(s, "user/") {
		t.Errorf("scope %q: want the narrow patient/… .rs scopes", s)
	}
	h = get(t, c, h.location)
	hops = append(hops, h)
	if h.status != http.StatusFound || !strings.HasPrefix(h.location, r.app+bonehealth.CallbackPath) {
		t.Fatalf("authorize: HTTP %d to %q, want a redirect to the callback", h.status, h.location)
	}
	return h.location, hops
}

func TestSecurity(t *testing.T) {
	r := newRig(t)
	r.at(t, "S4-casus3-alendronate-5y")

	t.Run("an iss outside the allow-list gets nothing, not even discovery", func(t *testing.T) {
		var hits atomic.Int64
		other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
		defer other.Close()
		for _, iss := range []string{other.URL + "/fhir", "https://fhir.example.org/r4", r.iss + "/../evil", r.iss + "x"} {
			u := r.app + bonehealth.LaunchPath + "?" + url.Values{"iss": {iss}, "launch": {"x"}, "patient": {"s4-pat"}}.Encode()
			if h := get(t, browserClient(t), u); h.status != http.StatusForbidden {
				t.Errorf("iss %q: HTTP %d, want 403", iss, h.status)
			}
		}
		if hits.Load() != 0 {
			t.Errorf("the refused server got %d requests", hits.Load())
		}
	})

	t.Run("missing or forged state", func(t *testing.T) {
		c := browserClient(t)
		callback, _ := r.authorize(t, c, "s4-pat")
		cu, _ := url.Parse(callback)
		code := cu.Query().Get("code")
		for name, q := range map[string]url.Values{
			"no state":     {"code": {code}},
			"forged state": {"code": {code}, "state": {"forged"}},
		} {
			if h := get(t, c, r.app+bonehealth.CallbackPath+"?"+q.Encode()); h.status != http.StatusBadRequest {
				t.Errorf("%s: HTTP %d, want 400", name, h.status)
			}
		}
		// The right state from another browser (no launch cookie) is
		// refused too: the state is bound to the browser that launched.
		if h := get(t, browserClient(t), callback); h.status != http.StatusBadRequest {
			t.Errorf("state from another browser: HTTP %d, want 400", h.status)
		}
	})

	t.Run("a replayed code is refused; no token in any page, header or log line", func(t *testing.T) {
		c := browserClient(t)
		callback, hops := r.authorize(t, c, "s4-pat")
		cbURL, _ := url.Parse(callback)
		launchCookies := c.Jar.Cookies(cbURL)
		if len(launchCookies) == 0 {
			t.Fatal("the launch set no cookie for the callback")
		}
		h := get(t, c, callback)
		hops = append(hops, h)
		if h.status != http.StatusSeeOther || h.location != r.app+bonehealth.ViewPath {
			t.Fatalf("callback: HTTP %d to %q, want 303 to the view", h.status, h.location)
		}
		view := get(t, c, r.app+bonehealth.ViewPath)
		hops = append(hops, view)
		if view.status != http.StatusOK || !strings.Contains(html.UnescapeString(view.body), "+8,0 %") {
			t.Fatalf("view: HTTP %d; want 200 with the spine change", view.status)
		}
		if csp := view.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("view CSP %q: want default-src 'none' and no unsafe-inline", csp)
		}

		// The same callback again, even with the launch cookie put back:
		// the state was used up.
		replayer := browserClient(t)
		replayer.Jar.SetCookies(cbURL, launchCookies)
		replay := get(t, replayer, callback)
		hops = append(hops, replay)
		if replay.status != http.StatusBadRequest {
			t.Errorf("replayed callback: HTTP %d, want 400", replay.status)
		}
		// The code under a fresh state of a new launch: the launcher
		// binds the code to the first launch's PKCE challenge, so the
		// exchange with the new verifier fails.
		fresh, more := r.authorize(t, c, "s4-pat")
		hops = append(hops, more...)
		fu, _ := url.Parse(fresh)
		cu, _ := url.Parse(callback)
		q := fu.Query()
		q.Set("code", cu.Query().Get("code"))
		swapped := get(t, c, r.app+bonehealth.CallbackPath+"?"+q.Encode())
		hops = append(hops, swapped)
		if swapped.status != http.StatusForbidden {
			t.Errorf("old code under a new state: HTTP %d, want 403", swapped.status)
		}

		tokens := r.tokens.all()
		if len(tokens) == 0 {
			t.Fatal("no token was issued")
		}
		logs := r.logs.String()
		for _, tok := range tokens {
			for i, h := range hops {
				if strings.Contains(h.body, tok) || strings.Contains(h.location, tok) || strings.Contains(strings.Join(h.header.Values("Set-Cookie"), ";"), tok) {
					t.Errorf("hop %d carries an access token", i)
				}
			}
			if strings.Contains(logs, tok) {
				t.Error("a log line carries an access token")
			}
		}
		if code := cu.Query().Get("code"); strings.Contains(logs, code) {
			t.Error("a log line carries the authorization code")
		}
	})

	t.Run("no session, no page", func(t *testing.T) {
		if h := get(t, browserClient(t), r.app+bonehealth.ViewPath); h.status != http.StatusUnauthorized {
			t.Errorf("view without a session: HTTP %d, want 401", h.status)
		}
	})
}
