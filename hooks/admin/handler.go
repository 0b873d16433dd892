// Package admin serves the operator-facing endpoints of fracturecds on a
// separate listener (--admin-addr, loopback by default), never on the
// public CDS Hooks port: Prometheus metrics, governance analytics as JSON,
// a server-rendered HTML report of card acceptance per topic, and the
// codes no value set maps (for local_codes).
//
// Every admin route is registered in this file.
package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Config holds what the admin endpoints serve. A nil handler answers 404,
// so each feature can be wired independently.
type Config struct {
	// Metrics serves GET /metrics (Prometheus exposition format).
	Metrics http.Handler
	// Analytics serves GET /analytics (JSON governance analytics).
	Analytics http.Handler
	// Report serves GET /report (HTML report with a chart per topic).
	Report http.Handler
	// Unmapped serves GET /unmapped (the most frequent codes no value set
	// maps, HTML or JSON; see UnmappedHandler).
	Unmapped http.Handler
}

// NewHandler returns the admin HTTP handler with every admin route.
func NewHandler(cfg Config) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	mount := func(path string, h http.Handler) {
		if h != nil {
			r.GET(path, gin.WrapH(h))
		}
	}
	mount("/metrics", cfg.Metrics)
	mount("/analytics", cfg.Analytics)
	mount("/report", cfg.Report)
	mount("/unmapped", cfg.Unmapped)
	return r
}
