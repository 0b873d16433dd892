package admin

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fracturecds/fracturecds/fhir"
)

func TestUnmappedHandlerParameters(t *testing.T) {
	h := NewHandler(Config{Unmapped: UnmappedHandler(fhir.NewUnmappedCodes(10))})
	tests := []struct {
		path, accept string
		status       int
		contains     string
	}{
		{"/unmapped", "", http.StatusOK, "None so far."},
		{"/unmapped?format=json", "", http.StatusOK, `{"codes":[]}`},
		{"/unmapped", "application/json", http.StatusOK, `{"codes":[]}`},
		{"/unmapped?kind=medication&limit=5", "", http.StatusOK, "Unmapped codes"},
		{"/unmapped?kind=patient", "", http.StatusBadRequest, "kind must be"},
		{"/unmapped?limit=0", "", http.StatusBadRequest, "limit must be"},
		{"/unmapped?limit=x", "", http.StatusBadRequest, "limit must be"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.accept, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("status %d, body %q; want %d containing %q", rec.Code, rec.Body.String(), tt.status, tt.contains)
			}
		})
	}
	// Without a source the route does not exist.
	rec := httptest.NewRecorder()
	NewHandler(Config{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/unmapped", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("no source: status %d, want 404", rec.Code)
	}
}
