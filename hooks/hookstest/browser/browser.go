// Package browser starts Debian's headless Chromium for tests that look at
// a page as a person would: the demo page, the card viewer, the CDS Hooks
// Sandbox and the SMART app are driven through the Chrome DevTools
// Protocol (chromedp), never through a stand-in for a browser.
package browser

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequireEnv names the variable that turns a missing Chromium from a skip
// into a failure; .ci/run sets it so that browser tests never skip in CI.
const RequireEnv = "FRACTURECDS_REQUIRE_CHROMIUM"

// New starts a fresh headless Chromium (its own empty profile) and returns
// a chromedp context for one tab, closed when the test ends. Without a
// chromium binary the test is skipped, or fails when RequireEnv is "1".
// timeout bounds everything done through the context.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but chromium is not installed (apt-get install -y chromium)", RequireEnv)
		}
		t.Skip("chromium not installed")
	}
	// The machine's network is closed: background networking, component
	// updates and sync would only make refused connections.
	// Not t.TempDir: Chromium's helper processes can still write to the
	// profile for a moment after the browser is closed, which makes
	// t.TempDir's own cleanup fail the test; it is removed below, retried.
	profile, err := os.MkdirTemp("", "fracturecds-chromium-")
	if err != nil {
		t.Fatalf("chromium profile: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
		for i := 0; ; i++ {
			err := os.RemoveAll(profile)
			if err == nil {
				return
			}
			if i == 20 {
				t.Logf("chromium profile %s not removed: %v", profile, err)
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	// Start the browser now, so that a broken install fails here with a
	// clear message rather than inside the first action.
	if err := chromedp.Run(tabCtx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tabCtx
}

// Screenshot writes a full-page PNG of the current page to path, for a
// person to look at (tests write them under t.TempDir() or a path given
// by the developer).
func Screenshot(ctx context.Context, path string) error {
	var png []byte
	// Quality 100 makes chromedp ask for PNG; anything lower is a JPEG.
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}
