package demo

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// TextOptions say how WriteText writes.
type TextOptions struct {
	// AsOf is the evaluation date as shown, and AsOfSource where it came
	// from ("--as-of", the request's extension, "today").
	AsOf, AsOfSource string
	// Color marks indicators with ANSI colours (for a terminal).
	Color bool
}

var ansi = map[string]string{"info": "\x1b[1;34m", "warning": "\x1b[1;33m", "critical": "\x1b[1;31m"}

// WriteText writes the service's answer for a person at a terminal: one
// block per card with its summary, its Markdown detail as written (Markdown
// reads well as text), suggestions, links, override reasons and source.
func WriteText(w io.Writer, r Result, o TextOptions) error {
	bw := bufio.NewWriter(w)
	lang := r.Language
	if lang == "" {
		lang = "?"
	}
	fmt.Fprintf(bw, "%s (%s), as of %s (%s), language %s (--lang %s for %s)\n",
		r.Hook, r.Service, o.AsOf, o.AsOfSource, lang, other(lang), map[string]string{"nl": "Dutch", "en": "English"}[other(lang)])
	if r.Status != 200 {
		fmt.Fprintf(bw, "\nThe service answered %d:\n%s\n", r.Status, r.Body)
		return bw.Flush()
	}
	switch n := len(r.Response.Cards); n {
	case 0:
		fmt.Fprintln(bw, "\nNo cards: the service has no advice for this request on this date.")
	case 1:
		fmt.Fprintln(bw, "1 card")
	default:
		fmt.Fprintf(bw, "%d cards\n", n)
	}
	for i, c := range r.Response.Cards {
		ind := strings.ToUpper(c.Indicator)
		if o.Color {
			ind = ansi[c.Indicator] + ind + "\x1b[0m"
		}
		fmt.Fprintf(bw, "\n%d. %s  %s\n", i+1, ind, c.Summary)
		if d := strings.TrimSpace(c.Detail); d != "" {
			fmt.Fprintln(bw)
			for _, line := range strings.Split(d, "\n") {
				fmt.Fprintln(bw, strings.TrimRight("   "+line, " "))
			}
		}
		if len(c.Suggestions) > 0 {
			fmt.Fprintln(bw, "\n   Suggestions:")
			for _, s := range c.Suggestions {
				mark := "-"
				if s.IsRecommended {
					mark = "* (recommended)"
				}
				fmt.Fprintf(bw, "     %s %s\n", mark, s.Label)
				for _, a := range s.Actions {
					fmt.Fprintf(bw, "         %s %s: %s\n", a.Type, resourceType(a.Resource), a.Description)
				}
			}
		}
		if len(c.Links) > 0 {
			fmt.Fprintln(bw, "\n   Links:")
			for _, l := range c.Links {
				fmt.Fprintf(bw, "     - %s <%s>\n", l.Label, l.URL)
			}
		}
		if len(c.OverrideReasons) > 0 {
			var rs []string
			for _, or := range c.OverrideReasons {
				rs = append(rs, or.Display)
			}
			fmt.Fprintf(bw, "\n   Override reasons: %s\n", strings.Join(rs, "; "))
		}
		src := c.Source.Label
		if c.Source.Topic != nil {
			src += ", topic " + c.Source.Topic.Code
		}
		fmt.Fprintf(bw, "\n   Source: %s\n", src)
	}
	return bw.Flush()
}
