package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerfileCopiesWhatTheBuildNeeds: the image builds from what the
// Dockerfile's COPY lines bring in. A Go file or an embedded file of the
// binary that they leave out breaks `docker build` (the demo's embedded
// requests at the module root would have), and .ci/run only builds the
// image where a Docker daemon runs.
func TestDockerfileCopiesWhatTheBuildNeeds(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var sources []string
	for _, line := range strings.Split(string(dockerfile), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] != "COPY" || strings.HasPrefix(f[1], "--from") {
			continue
		}
		for _, src := range f[1 : len(f)-1] {
			sources = append(sources, strings.TrimSuffix(strings.TrimPrefix(src, "./"), "/"))
		}
	}
	copied := func(rel string) bool {
		for _, src := range sources {
			if rel == src || strings.HasPrefix(rel, src+"/") {
				return true
			}
		}
		return false
	}
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}|{{join .GoFiles ","}}|{{join .EmbedFiles ","}}{{end}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		if len(parts) != 3 || !strings.HasPrefix(parts[0], root) {
			continue // not this module
		}
		for _, name := range strings.Split(parts[1]+","+parts[2], ",") {
			if name == "" {
				continue
			}
			rel, err := filepath.Rel(root, filepath.Join(parts[0], name))
			if err != nil {
				t.Fatal(err)
			}
			checked++
			if !copied(filepath.ToSlash(rel)) {
				t.Errorf("the build needs %s but the Dockerfile does not COPY it", rel)
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked only %d files", checked)
	}
	if !copied("go.mod") || !copied("go.sum") {
		t.Error("the Dockerfile does not COPY go.mod and go.sum")
	}
}
