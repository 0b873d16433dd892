package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat;
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// procSample is the server's resource use at one moment.
type procSample struct {
	ok         bool
	cpu        time.Duration // user + system CPU time since start
	rssKiB     int64
	threads    int64
	goroutines float64 // from /metrics; -1 when unknown
}

// sample reads the server's /proc entries and, if given, /metrics.
func sample(o options) procSample {
	s := procSample{goroutines: -1}
	if o.pid > 0 {
		s.ok = readProc(o.pid, &s) == nil
	}
	if o.metrics != "" {
		s.goroutines = scrapeGauge(o.metrics, "go_goroutines")
	}
	return s
}

func readProc(pid int, s *procSample) error {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return err
	}
	// The command name (field 2) may hold spaces; fields after the last
	// ')' are fixed: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fields[0], 10, 64)
		switch k {
		case "VmRSS":
			s.rssKiB = n
		case "Threads":
			s.threads = n
		}
	}
	return nil
}

// selfCPU is the generator's own user + system CPU time so far (0 when
// it cannot be read).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// scrapeGauge returns an unlabelled gauge from a Prometheus text page, -1
// when it cannot be read.
func scrapeGauge(url, name string) float64 {
	resp, err := httpClient.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

// report prints the client-side results and the server's resource use.
func report(w io.Writer, o options, m *vegeta.Metrics, codes map[string]int, before, after procSample, self time.Duration) {
	fmt.Fprintf(w, "requests      %d in %v (offered %.1f/s)\n", m.Requests, m.Duration.Round(time.Millisecond), m.Rate)
	fmt.Fprintf(w, "throughput    %.1f/s successful (%.2f%% success)\n", m.Throughput, m.Success*100)
	l := m.Latencies
	fmt.Fprintf(w, "latency       mean %s  p50 %s  p90 %s  p99 %s  max %s (client side, loopback)\n",
		ms(l.Mean), ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
	maps.Copy(codes, m.StatusCodes)
	delete(codes, "0") // transport errors, counted as "error"
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(codes)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, codes[k]))
	}
	fmt.Fprintf(w, "status        %s\n", strings.Join(parts, " "))
	for i, e := range m.Errors {
		if i == 5 {
			fmt.Fprintf(w, "errors        ... %d more\n", len(m.Errors)-5)
			break
		}
		fmt.Fprintf(w, "error         %s\n", e)
	}
	if before.ok && after.ok && m.Requests > 0 {
		cpu := after.cpu - before.cpu
		wall := m.Duration + m.Wait
		fmt.Fprintf(w, "server cpu    %v total, %.0f µs/request, %.2f cores busy\n",
			cpu, float64(cpu.Microseconds())/float64(m.Requests), cpu.Seconds()/wall.Seconds())
		fmt.Fprintf(w, "server rss    %.1f MiB -> %.1f MiB; threads %d -> %d\n",
			float64(before.rssKiB)/1024, float64(after.rssKiB)/1024, before.threads, after.threads)
	} else if o.pid > 0 {
		fmt.Fprintf(w, "server        /proc/%d not readable\n", o.pid)
	}
	if m.Requests > 0 && self > 0 {
		fmt.Fprintf(w, "generator cpu %v total, %.0f µs/request (on the same cores)\n",
			self.Round(time.Millisecond), float64(self.Microseconds())/float64(m.Requests))
	}
	if before.goroutines >= 0 && after.goroutines >= 0 {
		fmt.Fprintf(w, "goroutines    %.0f -> %.0f (go_goroutines from %s)\n", before.goroutines, after.goroutines, o.metrics)
	}
}

// fileSize returns the size of path, 0 when it does not exist or path is
// empty: the server-log report reads only what was appended after it.
func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// reportServerLog prints server-side latency percentiles from the access
// log lines appended since offset: the "duration" (seconds) of every
// service call, as the service measured it from the first handler to the
// last byte handed to the connection.
func reportServerLog(w io.Writer, path string, offset int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return err
	}
	var durs []float64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string  `json:"msg"`
			Route    string  `json:"route"`
			Duration float64 `json:"duration"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != "request" || !strings.HasPrefix(line.Route, "/cds-services/") {
			continue
		}
		durs = append(durs, line.Duration)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(durs) == 0 {
		return fmt.Errorf("no service calls logged in %s since the run started", path)
	}
	slices.Sort(durs)
	q := func(p float64) string {
		return ms(time.Duration(durs[min(len(durs)-1, int(p*float64(len(durs))))] * 1e9))
	}
	fmt.Fprintf(w, "server side   p50 %s  p90 %s  p99 %s  max %s (%d access-log durations)\n",
		q(0.50), q(0.90), q(0.99), ms(time.Duration(durs[len(durs)-1]*1e9)), len(durs))
	return nil
}
