package main

import (
	"context"
	"net"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attack sends the mix for o.duration (or until ctx is done) and returns
// vegeta's metrics: open loop at o.rate, or, with o.concurrency, closed
// loop with that many requests always in flight.
func attack(ctx context.Context, o options, base string, reqs *mix) (*vegeta.Metrics, map[string]int) {
	targeter := func(t *vegeta.Target) error {
		b := reqs.pick()
		t.Method = http.MethodPost
		service := b.service
		if o.service != "" {
			service = o.service
		}
		t.URL = base + "/cds-services/" + service
		t.Body = b.data
		t.Header = http.Header{
			"Content-Type":    []string{"application/json"},
			"Accept-Language": []string{o.lang},
		}
		return nil
	}
	workers, most, pacer := o.workers, uint64(maxWorkers), vegeta.Pacer(vegeta.ConstantPacer{Freq: o.rate, Per: time.Second})
	if o.concurrency > 0 {
		// vegeta's zero rate sends as fast as workers free up; with
		// exactly N workers and no more that is N requests in flight.
		workers, most, pacer = uint64(o.concurrency), uint64(o.concurrency), vegeta.ConstantPacer{}
	}
	a := vegeta.NewAttacker(
		// First, so the options below adjust this transport.
		vegeta.Client(&http.Client{Transport: newTransport()}),
		vegeta.Workers(workers),
		vegeta.MaxWorkers(most),
		vegeta.Timeout(o.timeout),
		vegeta.KeepAlive(true),
		vegeta.Connections(int(most)),
		// Responses are read but not kept: only their size and status
		// matter here.
		vegeta.MaxBody(0),
	)
	go func() {
		<-ctx.Done()
		a.Stop()
	}()
	var m vegeta.Metrics
	codes := map[string]int{}
	for res := range a.Attack(targeter, pacer, o.duration, "fracturecds") {
		m.Add(res)
		if res.Error != "" && res.Code == 0 {
			codes["error"]++
		}
	}
	m.Close()
	return &m, codes
}

// newTransport is vegeta's transport with one difference: a write buffer
// that holds a whole request. With net/http's default 4 KB buffer a 60 KB
// prefetch leaves the generator as fifteen writes, each waking the server
// to read 4 KB, so the run measured the generator's write pattern as much
// as the service. Targets are loopback only, so no proxy and no TLS
// settings are needed.
func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:     (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		WriteBufferSize: 256 << 10,
		ReadBufferSize:  64 << 10,
	}
}
