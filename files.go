// Package fracturecds holds the files that ship inside the binary: the
// example requests (examples/) and the seed cases (testdata/seeds/), which
// `fracturecds demo` shows. It lives at the module root only because an
// embed pattern cannot name a parent directory; it has no code and no
// dependencies, and nothing but cmd imports it.
package fracturecds

import "embed"

// Files holds examples/*.json and testdata/seeds/*.json (with
// testdata/seeds/cases.json, the seed catalogue), at those paths.
//
//go:embed examples/*.json testdata/seeds/*.json
var Files embed.FS
