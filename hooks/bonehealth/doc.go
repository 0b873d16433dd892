// Package bonehealth is the bone-health view: a SMART on FHIR app (SMART
// App Launch 2.0, EHR launch with PKCE) served by fracturecds at
// /bone-health/, launched from a card link of type smart. It reads the
// patient's record server-side with the same fact gathering and rules as
// the CDS service (fhir.Gatherer, rules.BuildTimeline, rules.Evaluate) and
// renders one printable page with inline SVG: DXA per site with the least
// significant change, fractures, treatment episodes and their due dates,
// the current findings and the relevant labs, in Dutch or English.
//
// Access tokens stay on the server: they are kept in an in-memory session
// keyed by a random cookie and are never written to a page, a URL or a
// log line.
package bonehealth
