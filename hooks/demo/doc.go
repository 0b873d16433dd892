// Package demo shows the cards of fracturecds as people see them: an HTML
// page on a loopback listener (`fracturecds demo`) with the example and
// seed patients, and a plain-text rendering for `fracturecds eval` in a
// terminal.
//
// It never evaluates anything itself: every request goes through the
// service's own http.Handler (package hooks, wired by cmd exactly as the
// server wires it), and the page renders the JSON that handler answers.
// Card detail is Markdown, rendered by goldmark with raw HTML dropped.
//
// The demo is a separate listener with its own routes, like package admin:
// it has no authentication and must never share the public CDS Hooks port.
// Every demo route is registered in routes.go.
//
// Config.AppLinks is the place for apps that open a case's patient (the
// bone-health SMART app): the page shows their links beside each case.
package demo
