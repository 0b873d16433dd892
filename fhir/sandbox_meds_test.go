package fhir

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fracturecds/fracturecds/rules"
)

// sandboxBundle finds the CDS Hooks Sandbox build (shared/tools, a test
// tool): FRACTURECDS_SANDBOX_DIR, else ../shared/tools/cds-hooks-sandbox
// next to the repository. It skips when absent, unless
// FRACTURECDS_REQUIRE_SANDBOX=1.
func sandboxBundle(t *testing.T) []byte {
	t.Helper()
	dir := os.Getenv("FRACTURECDS_SANDBOX_DIR")
	if dir == "" {
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "tools", "cds-hooks-sandbox", "build")
	}
	data, err := os.ReadFile(filepath.Join(dir, "app.bundle.js"))
	if err != nil {
		if os.Getenv("FRACTURECDS_REQUIRE_SANDBOX") == "1" {
			t.Fatalf("CDS Hooks Sandbox build required: %v", err)
		}
		t.Skipf("CDS Hooks Sandbox build not found (%v); set FRACTURECDS_SANDBOX_DIR", err)
	}
	return data
}

// TestSandboxMedicationList classifies every RxNorm product of the CDS
// Hooks Sandbox's medication list (the RxNorm codes and names its Rx View
// orders): the bone, glucocorticoid and methotrexate products are
// recognised with their ingredient's classes, and no product is put in a
// class its name does not support (a regular expression that matched a
// salt or another word would show here).
func TestSandboxMedicationList(t *testing.T) {
	bundle := sandboxBundle(t)
	// The list is a JavaScript object literal {904431:"Alendronic acid 70
	// MG Oral Tablet",...} in the minified bundle; a product name ends in
	// a dose form.
	pair := regexp.MustCompile(`[{,](\d{3,8}):"([^"\\]{3,200})"`)
	product := regexp.MustCompile(`(?i)\b(tablet|capsule|solution|suspension|injection|injectable|syringe|inhaler|inhalant|cream|ointment|spray|drops?|patch|powder|pack|lozenge|gel|lotion)\b`)
	term := DefaultTerminology()
	mustName := map[rules.DrugClass]*regexp.Regexp{
		rules.DrugBisphosphonate:         regexp.MustCompile(`(?i)dronate|dronic acid`),
		rules.DrugAlendronate:            regexp.MustCompile(`(?i)alendron`),
		rules.DrugRisedronate:            regexp.MustCompile(`(?i)risedron`),
		rules.DrugMethotrexate:           regexp.MustCompile(`(?i)methotrexate`),
		rules.DrugGlucocorticoidSystemic: regexp.MustCompile(`(?i)prednisol|prednison|dexamethason|cortison|betamethason|triamcinolon|deflazacort`),
		rules.DrugSERM:                   regexp.MustCompile(`(?i)raloxifene|bazedoxifene`),
		rules.DrugAromataseInhibitor:     regexp.MustCompile(`(?i)anastrozole|letrozole|exemestane`),
		rules.DrugCalcium:                regexp.MustCompile(`(?i)calcium (carbonate|citrate|gluconate|lactate)`),
	}
	products, recognised := 0, 0
	perClass := map[rules.DrugClass]int{}
	seen := map[string]bool{}
	for _, m := range pair.FindAllSubmatch(bundle, -1) {
		code, name := string(m[1]), string(m[2])
		if seen[code] || !product.MatchString(name) {
			continue
		}
		seen[code] = true
		products++
		classes, _, _, _, ok := term.classifyDrug(medCC(medCoding(SystemRxNorm, code, name)))
		if !ok {
			lower := strings.ToLower(name)
			for _, w := range []string{"alendron", "risedron", "ibandron", "methotrexate", "prednisolone", "raloxifene"} {
				if wordIndex(lower, w) >= 0 || strings.Contains(lower, w+"ic acid") || strings.Contains(lower, w+"ate") {
					t.Errorf("RxNorm %s %q not recognised", code, name)
				}
			}
			continue
		}
		recognised++
		for _, c := range classes {
			perClass[c]++
			if re, ok := mustName[c]; ok && !re.MatchString(name) {
				t.Errorf("RxNorm %s %q classed %s", code, name, c)
			}
		}
	}
	if products < 5000 {
		t.Fatalf("only %d products found in the sandbox bundle: has its format changed?", products)
	}
	t.Logf("sandbox medication list: %d products, %d recognised", products, recognised)
	for _, c := range slices.Sorted(func(yield func(rules.DrugClass) bool) {
		for c := range perClass {
			if !yield(c) {
				return
			}
		}
	}) {
		t.Logf("  %-26s %d", c, perClass[c])
	}
	for _, c := range []rules.DrugClass{rules.DrugAlendronate, rules.DrugRisedronate, rules.DrugMethotrexate, rules.DrugGlucocorticoidSystemic} {
		if perClass[c] == 0 {
			t.Errorf("no %s product recognised", c)
		}
	}
}
