package hooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fracturecds/fracturecds/fhir"
	"github.com/fracturecds/fracturecds/rules"
)

// Under overload a service call that cannot start soon gets 503 with
// Retry-After instead of waiting in an unbounded queue, and the slot is
// freed when the running call finishes.
func TestOverloadAnswers503AndRecovers(t *testing.T) {
	started := make(chan struct{})
	unblock := make(chan struct{})
	var once sync.Once
	facts := FactSourceFunc(func(ctx context.Context, in fhir.Input) (fhir.Result, error) {
		once.Do(func() { close(started) })
		<-unblock
		f := pieterse()
		f.AsOf, f.Hook = in.AsOf, in.Hook
		return fhir.Result{Facts: f}, nil
	})
	h := NewHandler(Config{Facts: facts, Thresholds: rules.DefaultThresholds(), MaxInFlight: 1, Now: func() time.Time { return testNow }})
	first := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/cds-services/fracturecds-patient-view", strings.NewReader(validPatientView))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		first <- rec.Code
	}()
	<-started
	rec := post(t, h, "/cds-services/fracturecds-patient-view", validPatientView, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("second call while the only slot is busy: %d (Retry-After %q), want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	close(unblock)
	if code := <-first; code != 200 {
		t.Errorf("first call = %d, want 200", code)
	}
	if rec := post(t, h, "/cds-services/fracturecds-patient-view", validPatientView, nil); rec.Code != 200 {
		t.Errorf("after the slot is freed: %d, want 200", rec.Code)
	}
}
