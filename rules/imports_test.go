package rules

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsStandardLibraryOnly enforces the one dependency rule of
// shared/design/architecture.md: package rules imports nothing but the
// standard library (directly or indirectly). Test-only imports such as
// go-cmp are allowed; `go list -deps` without -test does not list them.
func TestImportsStandardLibraryOnly(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".")
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, msg)
	}
	self, err := exec.Command(goTool, "list", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var bad []string
	for _, p := range strings.Fields(string(out)) {
		if p != strings.TrimSpace(string(self)) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		t.Errorf("package rules must import only the standard library; non-standard dependencies: %v", bad)
	}
}
