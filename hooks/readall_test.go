package hooks

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readAll must return exactly what io.ReadAll returns, whatever the
// Content-Length claims, and keep the body cap's error.
func TestReadAllMatchesReadAll(t *testing.T) {
	body := strings.Repeat(`{"k":"v"},`, 6000) // 60 KB
	tests := []struct {
		name string
		hint int64
	}{
		{"exact Content-Length", int64(len(body))},
		{"unknown length", -1},
		{"zero", 0},
		{"claims less than sent", 100},
		{"claims more than sent", int64(len(body)) * 2},
		{"claims more than the presize limit", presizeLimit + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(strings.NewReader(body), tc.hint, new(bytes.Buffer))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, []byte(body)) {
				t.Errorf("read %d bytes, want %d", len(got), len(body))
			}
			if tc.hint > presizeLimit && cap(got) > 4*len(body) {
				t.Errorf("capacity %d: the claim was trusted", cap(got))
			}
		})
	}
	t.Run("body cap", func(t *testing.T) {
		rec := httptest.NewRecorder()
		r := http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(body)), 1000)
		_, err := readAll(r, int64(len(body)), new(bytes.Buffer))
		var tooLarge *http.MaxBytesError
		if !errors.As(err, &tooLarge) {
			t.Errorf("err = %v, want *http.MaxBytesError", err)
		}
	})
}
