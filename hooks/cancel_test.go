package hooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// An EHR that hangs up while the service fetches is logged as 499, not as
// a 412 that would look like a failing FHIR server.
func TestAbandonedRequestIsLoggedAs499(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	ctx, cancel := context.WithCancel(context.Background())
	facts := FactSourceFunc(func(fctx context.Context, in fhir.Input) (fhir.Result, error) {
		cancel() // the client goes away during the fetch
		<-fctx.Done()
		return fhir.Result{}, fhir.ErrDataUnavailable
	})
	h := NewHandler(Config{Logger: zap.New(core), Facts: facts, Thresholds: rules.DefaultThresholds()})
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/cds-services/fracturecds-patient-view", strings.NewReader(validPatientView))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != statusClientClosed {
		t.Errorf("status %d, want 499", rec.Code)
	}
	entries := logs.All()
	if len(entries) != 1 || entries[0].ContextMap()["status"] != int64(499) {
		t.Errorf("log lines %+v, want one with status 499", entries)
	}
}
