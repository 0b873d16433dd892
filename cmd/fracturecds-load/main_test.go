package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFlagsChooseOneLoop(t *testing.T) {
	tests := []struct {
		name        string
		args        []string
		wantErr     string
		rate        int
		concurrency int
	}{
		{"default open loop", nil, "", 500, 0},
		{"open loop at a rate", []string{"-rate", "2000"}, "", 2000, 0},
		{"closed loop", []string{"-concurrency", "8"}, "", 500, 8},
		{"both", []string{"-rate", "100", "-concurrency", "8"}, "exclude each other", 0, 0},
		{"too many in flight", []string{"-concurrency", "5000"}, "-concurrency must be", 0, 0},
		{"negative", []string{"-concurrency", "-1"}, "-concurrency must be", 0, 0},
		{"not loopback", []string{"-target", "http://10.0.0.1:8080"}, "not a loopback", 0, 0},
		{"negative procs", []string{"-procs", "-1"}, "-procs must be", 0, 0},
		{"a peer's service", []string{"-service", "patient-greeting"}, "", 500, 0},
		{"a service that is a path", []string{"-service", "../admin"}, "-service must be a service id", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if o.rate != tt.rate || o.concurrency != tt.concurrency {
				t.Errorf("rate %d concurrency %d, want %d and %d", o.rate, o.concurrency, tt.rate, tt.concurrency)
			}
			if o.procs != 1 {
				t.Errorf("procs %d, want the default 1", o.procs)
			}
		})
	}
}

// A run uses -procs scheduler threads and gives the process its own
// number back when it returns.
func TestRunSetsAndRestoresProcs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"cards":[]}`))
	}))
	defer srv.Close()
	prev := runtime.GOMAXPROCS(3)
	defer runtime.GOMAXPROCS(prev)
	var during atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				if n := runtime.GOMAXPROCS(0); n != 3 {
					during.Store(int64(n))
				}
			}
		}
	}()
	args := []string{"-target", srv.URL, "-rate", "50", "-duration", "200ms", "-mix", "seeds=1", "-seeds", "../../testdata/seeds", "-procs", "1"}
	if err := run(context.Background(), args, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-done
	if during.Load() != 1 {
		t.Errorf("GOMAXPROCS during the run = %d, want 1", during.Load())
	}
	if n := runtime.GOMAXPROCS(0); n != 3 {
		t.Errorf("GOMAXPROCS after the run = %d, want 3 again", n)
	}
}

// The closed loop keeps exactly N requests in flight: never more (that
// would be the open loop's piling up), and all N while the server is slow.
// Every request must carry its whole body.
func TestClosedLoopKeepsNInFlight(t *testing.T) {
	const n = 4
	var inFlight, most, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if cur <= m || most.CompareAndSwap(m, cur) {
				break
			}
		}
		b, _ := io.ReadAll(r.Body)
		if int64(len(b)) != r.ContentLength || len(b) == 0 {
			http.Error(w, "short body", http.StatusBadRequest)
			return
		}
		time.Sleep(20 * time.Millisecond)
		served.Add(1)
		w.Write([]byte(`{"cards":[]}`))
	}))
	defer srv.Close()
	o, err := parseFlags([]string{"-target", srv.URL, "-concurrency", "4", "-duration", "300ms", "-seeds", "../../testdata/seeds"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := buildMix("seeds=1", o.seeds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := attack(context.Background(), o, srv.URL, reqs)
	if m.Success != 1 {
		t.Errorf("success %.2f, errors %v", m.Success, m.Errors)
	}
	if got := most.Load(); got != n {
		t.Errorf("at most %d requests were in flight, want %d", got, n)
	}
	// 300 ms at 20 ms per request and 4 in flight is about 60 requests;
	// an open loop at the default 500/s would have sent about 150.
	if s := served.Load(); s < 8 || s > 80 {
		t.Errorf("%d requests served, want about 60", s)
	}
}

// -service sends every body to one service of another server (the Node
// reference services' patient-greeting), for the side-by-side comparison.
func TestServiceFlagSendsEveryBodyToThatService(t *testing.T) {
	var other atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cds-services/patient-greeting" {
			other.Add(1)
		}
		w.Write([]byte(`{"cards":[]}`))
	}))
	defer srv.Close()
	o, err := parseFlags([]string{"-target", srv.URL, "-rate", "50", "-duration", "200ms", "-service", "patient-greeting"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := buildMix("typical=1", o.seeds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := attack(context.Background(), o, srv.URL, reqs)
	if m.Requests == 0 || m.Success != 1 || other.Load() != 0 {
		t.Errorf("%d requests, success %.2f, %d to another path", m.Requests, m.Success, other.Load())
	}
}
