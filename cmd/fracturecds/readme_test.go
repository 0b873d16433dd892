package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/fracturecds/fracturecds/hooks/hookstest"
)

var shellBlock = regexp.MustCompile("(?s)```sh\n(.*?)```")

// readmeCommands returns the commands of the README's sh blocks, one per
// line, with backslash-continued lines joined.
func readmeCommands(readme string) []string {
	var cmds []string
	for _, m := range shellBlock.FindAllStringSubmatch(readme, -1) {
		block := strings.ReplaceAll(m[1], "\\\n", " ")
		for _, line := range strings.Split(block, "\n") {
			if line = strings.Join(strings.Fields(line), " "); line != "" {
				cmds = append(cmds, line)
			}
		}
	}
	return cmds
}

// TestREADMECommands runs every command of the README's sh blocks, so
// that none goes stale: `go run ./cmd/fracturecds …` through run, as
// `go run` does (servers on free ports, stopped once they answer), curl
// commands with curl against the service started that way. Any other
// command must be run verbatim by .ci/run.
func TestREADMECommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..") // the README's commands run from the repository root
	env := envWith(map[string]string{"FRACTURECDS_DATA_DIR": t.TempDir()})
	cmds := readmeCommands(string(readme))
	if len(cmds) < 8 {
		t.Fatalf("found only %d commands in README.md: %q", len(cmds), cmds)
	}
	var server struct{ addr, admin string }
	for _, c := range cmds {
		const goRun = "go run ./cmd/fracturecds"
		switch {
		case c == goRun || strings.HasPrefix(c, goRun+" "):
			if strings.ContainsAny(c, `'"\$|&;<>`) {
				t.Errorf("%q: only plain arguments can be run here", c)
				continue
			}
			runREADMECommand(t, c, strings.Fields(strings.TrimPrefix(c, goRun)), env)
		case strings.HasPrefix(c, "curl "):
			if server.addr == "" {
				server.addr, server.admin = freeAddr(t), freeAddr(t)
				startServer(t, []string{"--addr", server.addr, "--admin-addr", server.admin}, env)
			}
			runCurl(t, strings.NewReplacer("127.0.0.1:8080", server.addr, "127.0.0.1:9090", server.admin).Replace(c))
		case bytes.Contains(ci, []byte(c)):
			// .ci/run runs it.
		default:
			t.Errorf("README command %q is run neither by this test nor by .ci/run", c)
		}
	}
}

func envWith(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startServer runs the service through run until the test ends.
func startServer(t *testing.T, args []string, env func(string) string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env, io.Discard, &logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%v: %v\n%s", args, err, logs.String())
		}
	})
	for i, a := range args {
		if a == "--addr" {
			waitHealthy(t, "http://"+args[i+1]+"/healthz")
		}
	}
}

// runREADMECommand runs `fracturecds ARGS`: servers (serve, demo) until
// they answer, anything else to completion.
func runREADMECommand(t *testing.T, line string, args []string, env func(string) string) {
	t.Helper()
	switch {
	case len(args) == 0 || strings.HasPrefix(args[0], "-"):
		addr := freeAddr(t)
		startServer(t, append(args, "--addr", addr, "--admin-addr", "off"), env)
		if contains(args, "examples/sandbox.yaml") {
			// The sandbox's page must be allowed to call the service.
			req, _ := http.NewRequest(http.MethodOptions, "http://"+addr+"/cds-services", nil)
			req.Header.Set("Origin", "https://sandbox.cds-hooks.org")
			req.Header.Set("Access-Control-Request-Method", "GET")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Header.Get("Access-Control-Allow-Origin") != "https://sandbox.cds-hooks.org" {
				t.Errorf("%q: the sandbox's origin is not allowed (CORS headers %v)", line, resp.Header)
			}
		}
	case args[0] == "demo":
		base := startDemo(t, args[1:]...)
		resp, err := http.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`class="card `)) {
			t.Errorf("%q: / answered %d without cards", line, resp.StatusCode)
		}
	default:
		var out bytes.Buffer
		if err := run(context.Background(), args, env, &out, io.Discard); err != nil {
			t.Errorf("%q: %v", line, err)
			return
		}
		if args[0] == "eval" {
			if p := hookstest.Problems(out.Bytes()); len(p) > 0 {
				t.Errorf("%q: %v", line, p)
			}
		}
	}
}

// runCurl runs a curl command line with bash, as a reader would paste it,
// and checks that it answered JSON (a valid CDS Hooks response with cards
// from a service).
func runCurl(t *testing.T, line string) {
	t.Helper()
	out, err := exec.Command("bash", "-c", line+" --fail-with-body").Output()
	if err != nil {
		t.Errorf("%q: %v\n%s", line, err, out)
		return
	}
	if !json.Valid(out) {
		t.Errorf("%q: not JSON: %.200s", line, out)
		return
	}
	if strings.Contains(line, "/cds-services/") {
		topics, err := hookstest.Topics(out)
		if p := hookstest.Problems(out); len(p) > 0 || err != nil || len(topics) == 0 {
			t.Errorf("%q: %v %v, topics %v", line, p, err, topics)
		}
	}
}
