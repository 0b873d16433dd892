package hooks

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"
)

// Keys under which handlers leave log fields for the access log.
const (
	logServiceKey      = "fracturecds.service"
	logHookInstanceKey = "fracturecds.hookInstance"
	logTopicsKey       = "fracturecds.topics"
	logUnreadableKey   = "fracturecds.unreadable"
	logErrorKey        = "fracturecds.error"
)

// accessLog writes exactly one line per request: hookInstance, service id,
// status, duration, card topics and the elements of resources set aside. It never logs bodies, patient data,
// tokens or query strings. Server errors carry the error text, which by
// construction never contains request content or tokens.
func (s *server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	fields := []zap.Field{
		zap.String("method", c.Request.Method),
		zap.String("route", c.FullPath()),
		zap.Int("status", status),
		zap.Duration("duration", time.Since(start)),
	}
	if v, ok := c.Get(logServiceKey); ok {
		fields = append(fields, zap.String("service", v.(string)))
	}
	if v, ok := c.Get(logHookInstanceKey); ok {
		fields = append(fields, zap.String("hookInstance", v.(string)))
	}
	if v, ok := c.Get(logTopicsKey); ok {
		fields = append(fields, zap.Strings("topics", v.([]string)))
	}
	// The resources set aside, by type and element ("Observation.valueQuantity"),
	// so an integration engineer sees what a sender sends in a shape the
	// service cannot read; never a value.
	if v, ok := c.Get(logUnreadableKey); ok {
		fields = append(fields, zap.Strings("unreadable", v.([]string)))
	}
	// Security fields (auth.go): the verified issuer and tenant, why a
	// token was refused, and a fhirServer that was not contacted. Never
	// the token itself.
	fields = append(fields, s.securityLogFields(c)...)
	if v, ok := c.Get(logErrorKey); ok && status >= 500 || ok && status == http.StatusPreconditionFailed {
		fields = append(fields, zap.String("error", v.(error).Error()))
	}
	switch {
	case status >= 500:
		s.cfg.Logger.Error("request", fields...)
	default:
		s.cfg.Logger.Info("request", fields...)
	}
}

// recoverPanic turns a panic into a generic 500: no stack trace and no
// panic value reach the client (or the log, since a value could hold
// patient data); the panic's type is logged for debugging.
func (s *server) recoverPanic(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Logger.Error("panic recovered", zap.String("type", fmt.Sprintf("%T", p)), zap.String("route", c.FullPath()))
			c.Set(logErrorKey, fmt.Errorf("panic (%T)", p))
			c.AbortWithStatusJSON(http.StatusInternalServerError, newOutcome(http.StatusInternalServerError, "internal error"))
		}
	}()
	c.Next()
}
