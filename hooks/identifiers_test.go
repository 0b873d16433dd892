package hooks

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/fracturecds/fracturecds/fhir"
)

// The regular expressions the identifier checks replaced; the checks
// must accept exactly the same strings.
var identifierPatterns = []struct {
	name    string
	pattern *regexp.Regexp
	check   func(string) bool
}{
	{"uuid", regexp.MustCompile(`^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`), isUUID},
	{"userId", regexp.MustCompile(`^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-.]{1,64}$`), isUserID},
	{"FHIR id", regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`), fhir.ValidID},
	{"reference", regexp.MustCompile(`^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$`), isReference},
}

func checkIdentifier(t *testing.T, s string) {
	t.Helper()
	for _, p := range identifierPatterns {
		if want, got := p.pattern.MatchString(s), p.check(s); got != want {
			t.Errorf("%s check of %q = %v, the pattern says %v", p.name, s, got, want)
		}
	}
}

var identifierSeeds = []string{
	"", "/", "a", "a/", "/a", "a/b", "a//b", "a/b/c", "A/b.c-d", "Patient/", "Patient/1", "Patient/1/",
	"Practitioner/abc", "PractitionerRole/x.y-z", "RelatedPerson/1", "Practitioner/a b", "practitioner/1",
	"Practitioner/1\n", "Practitioner/" + strings.Repeat("a", 64), "Practitioner/" + strings.Repeat("a", 65),
	strings.Repeat("a", 64), strings.Repeat("a", 65), "Observation/é", "Obs1/1", "x_y", "1.2-3",
	"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "D1577C69-DFBE-44AD-BA6D-3E05E953B2EA",
	"urn:uuid:d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "urn:uuid:urn:uuid:d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
	"URN:UUID:d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "d1577c69-dfbe-44ad-ba6d-3e05e953b2e", "d1577c69-dfbe-44ad-ba6d-3e05e953b2eaa",
	"d1577c69dfbe-44ad-ba6d-3e05e953b2ea-", "g1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea\n",
	"{d1577c69-dfbe-44ad-ba6d-3e05e953b2ea}", "urn:uuid:", "d1577c69-dfbe-44ad-ba6d_3e05e953b2ea",
}

func TestIdentifierChecksMatchPatterns(t *testing.T) {
	for _, s := range identifierSeeds {
		checkIdentifier(t, s)
	}
	// Random strings over the characters that matter, near the lengths
	// that matter.
	const alphabet = "aAfFgGzZ09-./_:é\n urn:uuid:PractitionerRoleRelatedPatient"
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		var b strings.Builder
		switch r.IntN(3) {
		case 0: // a mutated seed
			seed := identifierSeeds[r.IntN(len(identifierSeeds))]
			b.WriteString(seed)
			if b.Len() > 0 {
				bs := []byte(b.String())
				bs[r.IntN(len(bs))] = alphabet[r.IntN(len(alphabet))]
				b.Reset()
				b.Write(bs)
			}
		case 1: // a UUID shape with random characters
			for i := range 36 {
				if (i == 8 || i == 13 || i == 18 || i == 23) && r.IntN(8) > 0 {
					b.WriteByte('-')
				} else {
					b.WriteByte("0123456789abcdefABCDEFg-"[r.IntN(24)])
				}
			}
		default: // Type/id
			b.WriteString([]string{"Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Observation", "", "a1"}[r.IntN(7)])
			b.WriteByte('/')
			for range r.IntN(67) {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
		}
		checkIdentifier(t, b.String())
	}
}

func FuzzIdentifierChecks(f *testing.F) {
	for _, s := range identifierSeeds {
		f.Add(s)
	}
	f.Fuzz(checkIdentifier)
}
