package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/fracturecds/fracturecds/hooks"
	"github.com/fracturecds/fracturecds/hooks/auth"
)

// AuthConfig is the `auth` section: the CDS clients (EHRs) trusted to call
// the service, per CDS Hooks 2.0.1 §Trusting CDS Clients.
type AuthConfig struct {
	Issuers []IssuerConfig `yaml:"issuers"`
	// ClockSkew is the leeway on exp and iat (default 1m).
	ClockSkew time.Duration `yaml:"clock_skew"`
	// MaxTokenLifetime caps exp - iat (default 1h).
	MaxTokenLifetime time.Duration `yaml:"max_token_lifetime"`
}

// IssuerConfig is one trusted EHR.
type IssuerConfig struct {
	Iss string `yaml:"iss"`
	// JWKSURL or JWKSFile (exactly one): where the issuer's public keys
	// come from. A relative jwks_file is relative to the config file.
	JWKSURL  string `yaml:"jwks_url"`
	JWKSFile string `yaml:"jwks_file"`
	// JKUURLs are further JWK Set URLs a token's jku may name.
	JKUURLs []string `yaml:"jku_urls"`
	// Tenants, when set, are the only tenant claims accepted.
	Tenants []string `yaml:"tenants"`
	// FHIRServers are the fhirServer base URLs this issuer may send.
	FHIRServers []string `yaml:"fhir_servers"`
}

// CORSConfig is the `cors` section; no origins means CORS is off.
type CORSConfig struct {
	AllowedOrigins []string `yaml:"allowed_origins"`
}

// resolvePaths makes relative jwks_file paths relative to dir, the
// directory of the configuration file that named them.
func (a *AuthConfig) resolvePaths(dir string) {
	for i, is := range a.Issuers {
		if is.JWKSFile != "" && !filepath.IsAbs(is.JWKSFile) {
			a.Issuers[i].JWKSFile = filepath.Join(dir, is.JWKSFile)
		}
	}
}

// hooksAuth converts the section for package hooks/auth.
func (cfg Config) hooksAuth() auth.Config {
	out := auth.Config{
		PublicBaseURL:    cfg.PublicBaseURL,
		ClockSkew:        cfg.Auth.ClockSkew,
		MaxTokenLifetime: cfg.Auth.MaxTokenLifetime,
	}
	for _, is := range cfg.Auth.Issuers {
		out.Issuers = append(out.Issuers, auth.Issuer{
			Iss: is.Iss, JWKSURL: is.JWKSURL, JWKSFile: is.JWKSFile, JKUURLs: is.JKUURLs,
			Tenants: is.Tenants, FHIRServers: is.FHIRServers,
		})
	}
	return out
}

// securityProblems validates the security keys (config check and start).
func (cfg Config) securityProblems() []string {
	problems := auth.CheckConfig(cfg.hooksAuth())
	if len(cfg.Auth.Issuers) == 0 && cfg.PublicBaseURL != "" {
		if u, err := url.Parse(cfg.PublicBaseURL); err != nil || u.Host == "" {
			problems = append(problems, fmt.Sprintf("public_base_url %q: not an absolute URL", cfg.PublicBaseURL))
		}
	}
	if cfg.Auth.ClockSkew < 0 || cfg.Auth.ClockSkew > 5*time.Minute {
		problems = append(problems, "auth.clock_skew must be between 0 and 5m")
	}
	if cfg.Auth.MaxTokenLifetime < 0 {
		problems = append(problems, "auth.max_token_lifetime must not be negative")
	}
	switch cfg.FHIR.Proxy {
	case "", proxyEnvironment, proxyOff:
	default:
		problems = append(problems, fmt.Sprintf("fhir.proxy %q: want environment or off", cfg.FHIR.Proxy))
	}
	problems = append(problems, hooks.CheckCORSOrigins(cfg.CORS.AllowedOrigins)...)
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		problems = append(problems, "tls_cert_file and tls_key_file go together")
	} else if cfg.TLSCertFile != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			problems = append(problems, fmt.Sprintf("tls_cert_file/tls_key_file: %v", err))
		}
	}
	return problems
}

// checkExposure enforces secure-by-default serving: without a trusted
// issuer the service has no idea who calls it, so it listens on loopback
// only unless the operator explicitly says --insecure-no-auth.
func (cfg Config) checkExposure() error {
	if len(cfg.Auth.Issuers) > 0 || cfg.InsecureNoAuth {
		return nil
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil // validate reports the address
	}
	if !auth.IsLoopbackHost(host) {
		return errors.New("addr " + cfg.Addr + " is not a loopback address and auth.issuers is empty: the service refuses to serve " +
			"unauthenticated calls there. Configure auth.issuers (README \"Authentication\"), listen on 127.0.0.1 " +
			"(addr, --addr, FRACTURECDS_ADDR), or accept the risk with insecure_no_auth: true (--insecure-no-auth)")
	}
	return nil
}

// fhirAllowServer is the Gatherer's last-line check on fhirServer (the
// handler already decides per issuer): any allow-listed server, or
// loopback only when no issuer is configured.
func fhirAllowServer(authn *auth.Authenticator) func(string) bool {
	return func(base string) bool {
		n, err := auth.NormalizeFHIRBase(base)
		if err != nil {
			return false
		}
		if authn == nil {
			u, _ := url.Parse(n)
			return auth.IsLoopbackHost(u.Hostname())
		}
		return authn.AllowedFHIRServers()[n]
	}
}

// tlsConfig is the server TLS configuration: TLS 1.2 at least, Go's
// default (modern, AEAD-only for 1.2) cipher suites.
func tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12}
}

// Values of fhir.proxy.
const (
	proxyEnvironment = "environment"
	proxyOff         = "off"
)

// fhirTransport is the transport of FHIR calls. Those carry the EHR's
// access token, so an operator may want them never to pass a proxy the
// environment names for other traffic: fhir.proxy off. The default keeps
// Go's behaviour (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; loopback never
// proxied), which hospitals that route all egress through a proxy need.
func fhirTransport(proxy string) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if proxy == proxyOff {
		tr.Proxy = nil
	}
	return tr
}
