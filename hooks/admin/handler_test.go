package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestUnwiredFeaturesAnswer404AndWiredOnesServe(t *testing.T) {
	h := NewHandler(Config{Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("up 1\n")) })})
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 200, "/analytics": 404, "/report": 404} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
		}
	}
}
