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
	// slack is the allocator rounding a large buffer up to whole pages.
	const slack = 16 << 10
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
			// Before any byte arrives at most presizeLimit is reserved,
			// whatever the claim.
			if cap(got) > max(4*len(body), presizeLimit+slack) {
				t.Errorf("capacity %d: the claim was trusted", cap(got))
			}
		})
	}
	// A body larger than presizeLimit with an honest Content-Length is
	// read into one buffer of its size (rounded up to the allocator's
	// pages), not grown by doubling; a claim beyond what is sent reserves
	// at most the claim.
	large := bytes.Repeat([]byte(`{"k":"v"},`), 300_000) // 3 MB
	for _, tc := range []struct {
		name   string
		sent   []byte
		hint   int64
		maxCap int
	}{
		{"large, exact", large, int64(len(large)), len(large) + slack},
		{"large, claims more", large[:presizeLimit+500], int64(len(large)), len(large) + slack},
		{"large, unknown length", large, -1, 2*len(large) + slack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(bytes.NewReader(tc.sent), tc.hint, new(bytes.Buffer))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.sent) {
				t.Errorf("read %d bytes, want %d", len(got), len(tc.sent))
			}
			if cap(got) > tc.maxCap {
				t.Errorf("capacity %d for %d bytes, want at most %d", cap(got), len(got), tc.maxCap)
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
