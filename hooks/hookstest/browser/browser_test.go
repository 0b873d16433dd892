package browser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A page whose text is written by script: the browser must run it for the
// test to read the text back, which a plain HTTP fetch would not.
func TestNewRunsScriptAndReadsText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><p id="out">static</p><script>document.getElementById("out").textContent = "rendered " + (6*7)</script>`)
	}))
	defer srv.Close()

	ctx := New(t, time.Minute)
	var got string
	if err := chromedp.Run(ctx, chromedp.Navigate(srv.URL), chromedp.Text("#out", &got, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if got != "rendered 42" {
		t.Errorf("text = %q, want %q", got, "rendered 42")
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	if err := Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
}
