// Command fracturecds-load is the load generator of fracturecds: it
// replays a mix of CDS Hooks requests (the seed cases of testdata/seeds and
// generated typical and heavy patients) against a running service on the
// loopback interface, open-loop at a fixed rate, and prints throughput,
// latency percentiles and status counts. Given the server's PID it also
// reports the server's CPU time per request and its RSS and thread count
// before and after; given the server's access log it reports server-side
// latency percentiles from the logged request durations; given the admin
// /metrics URL it reports the go_goroutines gauge before and after.
//
// Open loop means requests are sent on schedule whether or not earlier ones
// have been answered (vegeta's constant pacer), so a slow server shows as
// latency instead of silently lowering the offered rate. With -concurrency
// N the loop is closed instead: N requests are always in flight and a new
// one is sent as soon as one is answered (as hey -c N does), which measures
// the highest rate the server sustains. Both report the generator's own
// CPU per request, since on one machine it shares the cores.
//
// Usage:
//
//	fracturecds-load [-target http://127.0.0.1:8080] [-rate 500 | -concurrency 8]
//	    [-duration 10s] [-mix typical=1] [-pid PID] [-server-log FILE] [-metrics URL]
//
// See README "Performance".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"
)

// Bounds keep every run finite and local whatever the flags say.
const (
	maxDuration = 15 * time.Minute
	maxRate     = 50_000
	maxWorkers  = 1024
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fracturecds-load:", err)
		}
		os.Exit(2)
	}
}

// options are the parsed flags.
type options struct {
	target string
	rate   int
	// concurrency > 0 selects the closed loop; rate is then unused.
	concurrency int
	duration    time.Duration
	mix         string
	seeds       string
	pid         int
	serverLog   string
	metrics     string
	workers     uint64
	timeout     time.Duration
	lang        string
	// procs is the generator's own GOMAXPROCS; 0 keeps Go's default.
	procs int
	// service, if set, replaces every body's own service id in the URL,
	// so the same bodies can be sent to a peer service (the Node
	// reference services' patient-greeting) for a side-by-side comparison.
	service string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("fracturecds-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "target", "http://127.0.0.1:8080", "service base URL (loopback only)")
	fs.IntVar(&o.rate, "rate", 500, "requests per second, offered open-loop")
	fs.IntVar(&o.concurrency, "concurrency", 0, "closed loop instead: keep N requests in flight, each sent when one is answered (like hey -c N)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send (at most 15m)")
	fs.StringVar(&o.mix, "mix", "typical=1", "request mix: comma-separated kind=weight, kinds typical, heavy, seeds")
	fs.StringVar(&o.seeds, "seeds", "testdata/seeds", "directory with cases.json and the seed requests")
	fs.IntVar(&o.pid, "pid", 0, "server process id: report its CPU per request, RSS and threads (Linux /proc)")
	fs.StringVar(&o.serverLog, "server-log", "", "server access log (JSON lines) to read server-side durations from")
	fs.StringVar(&o.metrics, "metrics", "", "admin /metrics URL (loopback) to read go_goroutines from before and after")
	fs.Uint64Var(&o.workers, "workers", 16, "initial vegeta workers (more are added up to 1024 when the server is slow)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Second, "per-request timeout")
	fs.StringVar(&o.lang, "lang", "en", "Accept-Language sent with every request")
	fs.IntVar(&o.procs, "procs", 1, "the generator's own GOMAXPROCS (0: one per core); it shares the machine with the server, and one keeps its scheduler's idle and wake-up work off the server's cores")
	fs.StringVar(&o.service, "service", "", "send every request to /cds-services/NAME instead of each body's own service (e.g. patient-greeting, to compare with the Node reference services)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	rateSet := false
	fs.Visit(func(f *flag.Flag) { rateSet = rateSet || f.Name == "rate" })
	switch {
	case o.concurrency < 0 || o.concurrency > maxWorkers:
		return o, fmt.Errorf("-concurrency must be 1..%d", maxWorkers)
	case o.concurrency > 0 && rateSet:
		return o, errors.New("-rate and -concurrency exclude each other: open loop at a rate, or closed loop with N in flight")
	case o.rate <= 0 || o.rate > maxRate:
		return o, fmt.Errorf("-rate must be 1..%d", maxRate)
	case o.duration <= 0 || o.duration > maxDuration:
		return o, fmt.Errorf("-duration must be positive and at most %v", maxDuration)
	case o.workers == 0 || o.workers > maxWorkers:
		return o, fmt.Errorf("-workers must be 1..%d", maxWorkers)
	case o.procs < 0 || o.procs > 256:
		return o, errors.New("-procs must be 0..256")
	case strings.ContainsAny(o.service, "/?#%") || strings.TrimSpace(o.service) != o.service:
		return o, errors.New("-service must be a service id, not a path")
	}
	if err := checkLoopback(o.target); err != nil {
		return o, fmt.Errorf("-target: %w", err)
	}
	if o.metrics != "" {
		if err := checkLoopback(o.metrics); err != nil {
			return o, fmt.Errorf("-metrics: %w", err)
		}
	}
	return o, nil
}

// checkLoopback refuses any URL whose host is not a loopback address: the
// generator is for measuring a local service, never for loading someone
// else's. Names other than localhost are refused rather than resolved, so
// DNS cannot point the load elsewhere.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address; the load generator only targets 127.0.0.0/8, ::1 or localhost", host)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	reqs, err := buildMix(o.mix, o.seeds, time.Now())
	if err != nil {
		return err
	}
	base := strings.TrimRight(o.target, "/")
	if o.procs > 0 {
		// Restored on return, for the tests that call run in-process.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.procs))
	}

	before := sample(o)
	selfBefore := selfCPU()
	logOffset := fileSize(o.serverLog)
	load := fmt.Sprintf("%d/s", o.rate)
	if o.concurrency > 0 {
		load = fmt.Sprintf("closed loop, %d in flight,", o.concurrency)
	}
	fmt.Fprintf(stdout, "fracturecds-load: %s for %v against %s, mix %s (%d distinct bodies)\n",
		load, o.duration, base, o.mix, len(reqs.bodies))
	m, codes := attack(ctx, o, base, reqs)
	after := sample(o)
	self := selfCPU() - selfBefore

	report(stdout, o, m, codes, before, after, self)
	if o.serverLog != "" {
		if err := reportServerLog(stdout, o.serverLog, logOffset); err != nil {
			fmt.Fprintf(stdout, "server log: %v\n", err)
		}
	}
	return nil
}

// httpClient is the client of the /metrics scrape.
var httpClient = &http.Client{Timeout: 5 * time.Second}
