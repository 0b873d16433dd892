package main

import (
	"context"
	"net/http"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attack sends the mix open-loop at o.rate for o.duration (or until ctx is
// done) and returns vegeta's metrics.
func attack(ctx context.Context, o options, base string, reqs *mix) (*vegeta.Metrics, map[string]int) {
	targeter := func(t *vegeta.Target) error {
		b := reqs.pick()
		t.Method = http.MethodPost
		t.URL = base + "/cds-services/" + b.service
		t.Body = b.data
		t.Header = http.Header{
			"Content-Type":    []string{"application/json"},
			"Accept-Language": []string{o.lang},
		}
		return nil
	}
	a := vegeta.NewAttacker(
		vegeta.Workers(o.workers),
		vegeta.MaxWorkers(maxWorkers),
		vegeta.Timeout(o.timeout),
		vegeta.KeepAlive(true),
		vegeta.Connections(int(maxWorkers)),
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
	for res := range a.Attack(targeter, vegeta.ConstantPacer{Freq: o.rate, Per: 1e9}, o.duration, "fracturecds") {
		m.Add(res)
		if res.Error != "" && res.Code == 0 {
			codes["error"]++
		}
	}
	m.Close()
	return &m, codes
}
