// Command fracturecds serves fracture-prevention advice over CDS Hooks
// 2.0.1. It only wires packages together; see README.md.
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "fracturecds:", err)
		os.Exit(1)
	}
}
