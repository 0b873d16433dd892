package hooks

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-contrib/cors"
	"github.com/gin-gonic/gin"
)

// securityHeaders sets the headers every response carries. Cards are
// patient data: no cache may keep them. Every body is JSON, so a strict
// CSP and nosniff stop a browser from ever treating one as a page.
// Strict-Transport-Security only when the service itself serves TLS (a
// header on plain HTTP is ignored by browsers and would be misleading).
func (s *server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	if s.cfg.HSTS {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	c.Next()
}

// corsMiddleware answers CORS for the allow-listed origins only (an empty
// list means no CORS at all): browser-based EHRs and the CDS Hooks sandbox
// call discovery, services and feedback with Authorization and
// Content-Type, so the preflight must allow both. Preflights are answered
// (204) before authentication, since browsers never send credentials on
// them. No cookies are used, so credentials are not allowed.
func corsMiddleware(origins []string) gin.HandlerFunc {
	return cors.New(cors.Config{
		AllowOrigins:              trimOrigins(origins),
		AllowMethods:              []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowHeaders:              []string{"Authorization", "Content-Type", "Accept", "Accept-Language"},
		ExposeHeaders:             []string{"Content-Language"},
		AllowCredentials:          false,
		MaxAge:                    10 * time.Minute,
		OptionsResponseStatusCode: http.StatusNoContent,
	})
}

// CheckCORSOrigins returns a problem for every allowed origin that is not
// an exact scheme://host[:port] origin: no wildcards (a wildcard would let
// any web page read patient cards with a user's token), no paths.
func CheckCORSOrigins(origins []string) []string {
	var problems []string
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || strings.Contains(o, "*") || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			problems = append(problems, fmt.Sprintf("cors.allowed_origins %q: want an exact origin scheme://host[:port], no wildcard or path", o))
		}
	}
	return problems
}

// trimOrigins drops a trailing slash: browsers send Origin without one.
func trimOrigins(origins []string) []string {
	out := make([]string, len(origins))
	for i, o := range origins {
		out[i] = strings.TrimRight(o, "/")
	}
	return out
}
