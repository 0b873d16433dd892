package hooks

// This file adapts package auth to gin: the middleware extracts the bearer
// token, asks a Verifier, and leaves the outcome for the access log and the
// handlers. All verification lives in hooks/auth.

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/fracturecds/fracturecds/hooks/auth"
)

// Verifier authenticates the bearer token of a call to path (the request
// path; the verifier knows the public base URL that makes it the expected
// aud). *auth.Authenticator implements it.
type Verifier interface {
	Verify(ctx context.Context, token, path string) (auth.Caller, error)
}

// Keys under which auth leaves fields for the access log.
const (
	logCallerKey            = "fracturecds.caller"
	logAuthFailureKey       = "fracturecds.authFailure"
	logFHIRServerRefusedKey = "fracturecds.fhirServerRefused"
)

// securityLogFields are the access-log fields of authentication: the
// verified iss and tenant (CDS Hooks best practice allows them), the
// reason a token was refused, and whether fhirServer was refused.
func (s *server) securityLogFields(c *gin.Context) []zap.Field {
	var fields []zap.Field
	if cl, ok := callerOf(c); ok {
		fields = append(fields, zap.String("iss", cl.Issuer))
		if cl.Tenant != "" {
			fields = append(fields, zap.String("tenant", cl.Tenant))
		}
	}
	if v, ok := c.Get(logAuthFailureKey); ok {
		fields = append(fields, zap.String("authFailure", v.(string)))
	}
	if _, ok := c.Get(logFHIRServerRefusedKey); ok {
		fields = append(fields, zap.Bool("fhirServerRefused", true))
	}
	return fields
}

// authenticate is the middleware in front of every /cds-services path
// (discovery, services, feedback): a bearer JWT from an allow-listed
// issuer whose aud is the exact endpoint URL. Failures answer 401 with a
// WWW-Authenticate challenge and no detail; the reason is logged, the
// token never.
func (s *server) authenticate(c *gin.Context) {
	if s.cfg.Auth == nil || !isCDSPath(c.Request.URL.Path) {
		c.Next()
		return
	}
	raw, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		raw = ""
	}
	caller, err := s.cfg.Auth.Verify(c.Request.Context(), raw, c.Request.URL.Path)
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			c.Set(logAuthFailureKey, ae.Reason)
			c.Header("WWW-Authenticate", `Bearer realm="fracturecds"`)
		}
		s.fail(c, err)
		return
	}
	c.Set(logCallerKey, caller)
	c.Next()
}

// isCDSPath matches /cds-services and everything under it, so that
// unknown service ids and the feedback endpoints are covered too.
func isCDSPath(p string) bool {
	return p == "/cds-services" || strings.HasPrefix(p, "/cds-services/")
}

// bearerToken extracts the token of an "Authorization: Bearer x" header.
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// callerOf returns the authenticated caller of the request, if any.
func callerOf(c *gin.Context) (auth.Caller, bool) {
	v, ok := c.Get(logCallerKey)
	if !ok {
		return auth.Caller{}, false
	}
	cl, ok := v.(auth.Caller)
	return cl, ok
}

// fhirServerAllowed decides whether the service may call the request's
// fhirServer with its access token. With authentication, only the calling
// issuer's allow-listed servers; without (development on loopback), only
// loopback servers. A refused server gets no request at all: the call
// proceeds on prefetch alone (412 if data is missing).
func (s *server) fhirServerAllowed(c *gin.Context, fhirServer string) bool {
	if fhirServer == "" {
		return false
	}
	if s.cfg.Auth == nil {
		n, err := auth.NormalizeFHIRBase(fhirServer)
		if err != nil {
			return false
		}
		u, _ := url.Parse(n)
		return auth.IsLoopbackHost(u.Hostname())
	}
	caller, ok := callerOf(c)
	return ok && caller.AllowsFHIRServer(fhirServer)
}
