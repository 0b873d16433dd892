package demo

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

// NewHandler returns the demo's HTTP handler with every demo route. It
// fails when the cases cannot be read from cfg.Files.
func NewHandler(cfg Config) (http.Handler, error) {
	if cfg.Service == nil {
		return nil, errors.New("demo: no service")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultLanguage != "en" {
		cfg.DefaultLanguage = "nl"
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 4 << 20
	}
	cases, err := LoadCases(cfg.Files)
	if err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, errors.New("demo: no cases")
	}
	d := &demo{cfg: cfg, cases: cases}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(gin.Recovery(), securityHeaders)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/", gin.WrapF(d.showCase))
	r.POST("/evaluate", gin.WrapF(d.evaluatePasted))
	if cfg.BoneHealth != nil {
		r.GET("/bone-health", gin.WrapF(d.showBoneHealth))
	}
	css, err := assets.ReadFile("templates/demo.css")
	if err != nil {
		return nil, err
	}
	r.GET("/demo.css", func(c *gin.Context) { c.Data(http.StatusOK, "text/css; charset=utf-8", css) })
	return r, nil
}

// securityHeaders: the page loads nothing but its own stylesheet and runs
// no script at all, so card text that slipped through could not act.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}
