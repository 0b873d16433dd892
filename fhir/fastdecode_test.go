package fhir

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	r4 "github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// exportAll lets cmp compare the unexported decoded types field by field.
var exportAll = cmp.Exporter(func(reflect.Type) bool { return true })

// fastMatches decodes body with the hand-written Bundle decoder of T and,
// when it accepts, fails t unless unmarshal accepts it too with the same
// result. It reports whether the decoder accepted.
func fastMatches[T any, PT decodable[T]](t *testing.T, body []byte) bool {
	t.Helper()
	var got bundleOf[PT]
	if !decodeBundleFast(body, &got) {
		return false
	}
	var want bundleOf[PT]
	if err := unmarshal(body, &want); err != nil {
		t.Fatalf("decodeBundleFast[%T] accepts %q, unmarshal fails: %v", *new(T), body, err)
	}
	// cmp.Diff tells a nil slice from an empty one, which encoding/json
	// makes of [] and which the decoders must make too.
	if diff := cmp.Diff(want, got, exportAll); diff != "" {
		t.Fatalf("decodeBundleFast[%T] reads %q otherwise than unmarshal (-unmarshal +fast):\n%s", *new(T), body, diff)
	}
	return true
}

// fastMatchesUnmarshal runs fastMatches for every type with a
// hand-written decoder and reports which accepted body.
func fastMatchesUnmarshal(t *testing.T, body []byte) (observations, conditions, statements bool) {
	t.Helper()
	return fastMatches[observation](t, body), fastMatches[condition](t, body), fastMatches[medicationStatement](t, body)
}

// Every Bundle of the corpus (seed requests, fixtures, generated
// patients), whatever its resources, reads as unmarshal reads it with each
// hand-written decoder, and every Bundle of Observations or of Conditions
// takes the fast path of its type (also MedicationStatements).
func TestFastDecodeReadsWhatUnmarshalReads(t *testing.T) {
	var bundles int
	only := map[string]int{}
	for name, doc := range corpusDocuments(t) {
		walkResources(doc, func(typ, _ string, raw json.RawMessage) {
			if typ != "Bundle" {
				return
			}
			bundles++
			types := map[string]bool{}
			walkResources(raw, func(typ, _ string, _ json.RawMessage) { types[typ] = true })
			delete(types, "Bundle")
			obs, cond, stmt := fastMatchesUnmarshal(t, raw)
			if len(types) != 1 {
				return
			}
			switch {
			case types["Observation"]:
				only["Observation"]++
				if !obs {
					t.Errorf("%s: a Bundle of Observations did not take the fast path", name)
				}
			case types["Condition"]:
				only["Condition"]++
				if !cond {
					t.Errorf("%s: a Bundle of Conditions did not take the fast path", name)
				}
			case types["MedicationStatement"]:
				only["MedicationStatement"]++
				if !stmt {
					t.Errorf("%s: a Bundle of MedicationStatements did not take the fast path", name)
				}
			}
		})
	}
	t.Logf("%d Bundles; of one type: %v", bundles, only)
	if only["Observation"] < 20 || only["Condition"] < 10 || only["MedicationStatement"] < 10 {
		t.Errorf("too few Bundles of Observations or Conditions in the corpus: %v", only)
	}
}

// observationEdgeCases are hand-written Bundles around every case the
// decoder must read as unmarshal does or refuse.
var observationEdgeCases = []struct {
	name   string
	body   string
	wantOK bool // by the Observation decoder
}{
	{"empty bundle", `{"resourceType":"Bundle"}`, true},
	{"null", `null`, true},
	{"whitespace", " {\n \"resourceType\" : \"Bundle\" , \"entry\" : [ ] }\n", true},
	{"empty entry list", `{"resourceType":"Bundle","entry":[]}`, true},
	{"null entry list", `{"resourceType":"Bundle","entry":null,"link":null}`, true},
	{"null entry and resource", `{"resourceType":"Bundle","entry":[null,{"resource":null},{"fullUrl":"x"}]}`, true},
	{"links", `{"resourceType":"Bundle","link":[{"relation":"self","url":"a"},null,{"relation":"next","url":"b?x=1&y=2"}],"entry":[]}`, true},
	{"search modes", `{"entry":[{"search":{"mode":"match"},"resource":{"resourceType":"Observation"}},{"search":null},{"search":{}}]}`, true},
	{"every field", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1","display":"x"},"status":"final","code":{"coding":[{"system":"http://loinc.org","code":"38483-4","display":"Creat"}],"text":"t"},"bodySite":{"coding":[{"code":"x"}]},"effectiveDateTime":"2024-01-02","effectivePeriod":{"start":"2024-01-01","end":"2024-01-03"},"effectiveInstant":"2024-01-02T10:00:00Z","issued":"2024-01-03T10:00:00+01:00","valueQuantity":{"value":1.50,"comparator":"<","unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"},"valueInteger":-3,"referenceRange":[{"low":{"value":0.5},"high":{"value":1e1}},null],"component":[{"code":{"coding":[{"code":"t"}]},"valueQuantity":{"value":-2.5},"valueInteger":0,"referenceRange":[]},null],"meta":{"x":[1,2,{"y":null}]},"text":{"div":"<div>\"q\"</div>"}}}]}`, true},
	{"nulls everywhere", `{"entry":[{"resource":{"resourceType":null,"id":null,"subject":null,"issue":null,"status":null,"code":null,"bodySite":null,"effectiveDateTime":null,"effectivePeriod":null,"valueQuantity":{"value":null,"unit":null},"valueInteger":null,"referenceRange":null,"component":null}}]}`, true},
	{"empty codings", `{"entry":[{"resource":{"code":{"coding":[]},"bodySite":{"coding":null}}}]}`, true},
	{"null coding element", `{"entry":[{"resource":{"code":{"coding":[null,{"system":null,"code":"x"}]}}}]}`, true},
	{"escaped and non-ASCII values", `{"entry":[{"resource":{"id":"a\u0062c","status":"fin\u0061l","valueQuantity":{"unit":"µg/L","code":"ug/L"},"code":{"coding":[{"code":"\ud800"}]}}}]}`, true},
	{"invalid UTF-8 in a value", "{\"entry\":[{\"resource\":{\"id\":\"a\xffb\"}}]}", true},
	{"operation outcome entry", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"x"},null]}}]}`, true},
	{"large integer", `{"entry":[{"resource":{"valueInteger":9007199254740993}}]}`, true},

	{"not an object", `[]`, false},
	{"trailing data", `{} x`, false},
	{"member in another case", `{"entry":[{"resource":{"Status":"final"}}]}`, false},
	{"bundle member in another case", `{"Entry":[]}`, false},
	{"member twice", `{"entry":[{"resource":{"status":"final","status":"amended"}}]}`, false},
	{"escaped member name", `{"entry":[{"resource":{"st\u0061tus":"final"}}]}`, false},
	{"non-ASCII member name", `{"entry":[{"resource":{"stätus":"final"}}]}`, false},
	{"string as number", `{"entry":[{"resource":{"valueQuantity":{"value":"1.5"}}}]}`, false},
	{"number as string", `{"entry":[{"resource":{"status":1}}]}`, false},
	{"fraction as integer", `{"entry":[{"resource":{"valueInteger":1.5}}]}`, false},
	{"exponent as integer", `{"entry":[{"resource":{"valueInteger":1e2}}]}`, false},
	{"integer overflow", `{"entry":[{"resource":{"valueInteger":99999999999999999999}}]}`, false},
	{"object as array", `{"entry":{"resource":{}}}`, false},
	{"array as object", `{"entry":[{"resource":[]}]}`, false},
	{"string as object", `{"entry":[{"resource":{"code":"x"}}]}`, false},
	{"bad JSON in a skipped member", `{"entry":[{"resource":{"meta":{"x":01}}}]}`, false},
	{"unterminated", `{"entry":[{"resource":{"status":"final"}}]`, false},
}

// conditionEdgeCases are the same for the members only a Condition has.
var conditionEdgeCases = []struct {
	name   string
	body   string
	wantOK bool // by the Condition decoder
}{
	{"every field", `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"verificationStatus":{"coding":[{"code":"confirmed"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"64859006"}],"text":"x"},"onsetDateTime":"2020-01-01","onsetPeriod":{"start":"2019"},"recordedDate":"2020-02-01","stage":[{"summary":{"coding":[{"code":"s"}]},"type":{}},null,{"summary":null}]}}]}`, true},
	{"abatements present", `{"entry":[{"resource":{"abatementDateTime":"2021","abatementAge":{"value":50},"abatementPeriod":{},"abatementRange":[1],"abatementString":""}}]}`, true},
	{"abatements null", `{"entry":[{"resource":{"abatementDateTime":null,"abatementAge":null,"abatementPeriod":null,"abatementRange":null,"abatementString":null}}]}`, true},
	{"abatement of any type", `{"entry":[{"resource":{"abatementDateTime":true,"abatementString":12}}]}`, true},
	{"empty stage list", `{"entry":[{"resource":{"stage":[]}}]}`, true},
	{"code as string", `{"entry":[{"resource":{"code":"x"}}]}`, false},
	{"stage as object", `{"entry":[{"resource":{"stage":{"summary":{}}}}]}`, false},
	{"bad JSON in an abatement", `{"entry":[{"resource":{"abatementAge":{"value":01}}}]}`, false},
	{"abatement in another case", `{"entry":[{"resource":{"AbatementDateTime":"2021"}}]}`, false},
}

func TestFastDecodeEdges(t *testing.T) {
	// The medication edge cases of the samply oracle test, each in a
	// Bundle: whichever the decoder accepts must read as unmarshal reads.
	accepted := 0
	for _, res := range medicationEdgeCases {
		if fastMatches[medicationStatement](t, []byte(`{"resourceType":"Bundle","entry":[{"resource":`+res+`}]}`)) {
			accepted++
		}
	}
	if accepted < len(medicationEdgeCases)/2 {
		t.Errorf("decodeBundleFast[medicationStatement] accepted only %d of %d medication edge cases", accepted, len(medicationEdgeCases))
	}
	for _, tt := range observationEdgeCases {
		t.Run("Observation/"+tt.name, func(t *testing.T) {
			if got := fastMatches[observation](t, []byte(tt.body)); got != tt.wantOK {
				t.Errorf("decodeBundleFast accepted = %v, want %v", got, tt.wantOK)
			}
		})
	}
	for _, tt := range conditionEdgeCases {
		t.Run("Condition/"+tt.name, func(t *testing.T) {
			if got := fastMatches[condition](t, []byte(tt.body)); got != tt.wantOK {
				t.Errorf("decodeBundleFast accepted = %v, want %v", got, tt.wantOK)
			}
		})
	}
}

// Whatever a hand-written decoder accepts, unmarshal reads the same way; what it
// refuses goes to unmarshal, so refusing is always safe.
func FuzzFastDecode(f *testing.F) {
	for _, tt := range observationEdgeCases {
		f.Add([]byte(tt.body))
	}
	for _, tt := range conditionEdgeCases {
		f.Add([]byte(tt.body))
	}
	for _, res := range medicationEdgeCases[:10] {
		f.Add([]byte(`{"entry":[{"resource":` + res + `}]}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fastMatchesUnmarshal(t, body)
	})
}

// A member added to a decoded struct but not to its hand-written decoder
// would be skipped by the decoder and read by unmarshal: the two paths
// would differ without any test data having that member. Every member
// list must name exactly the JSON members of its struct (with the
// promoted header members).
func TestFastDecodeMemberListsMatchStructs(t *testing.T) {
	tests := []struct {
		typ     any
		members []string
	}{
		{bundleOf[*observation]{}, bundleMembers},
		{bundleLink{}, linkMembers},
		{bundleEntry[*observation]{}, entryMembers},
		{entrySearch{}, searchMembers},
		{observation{}, observationMembers},
		{component{}, componentMembers},
		{coding{}, codingMembers},
		{concept{}, conceptMembers},
		{quantity{}, quantityMembers},
		{referenceRange{}, rangeMembers},
		{period{}, periodMembers},
		{issue{}, severityMembers},
		{condition{}, conditionMembers},
		{conditionStage{}, stageMembers},
		{medicationStatement{}, medicationStatementMembers},
		{medReference{}, referenceMembers},
		{dosage{}, dosageMembers},
		{doseAndRate{}, doseAndRateMembers},
		{medQuantity{}, medQuantityMembers},
		{dosageTiming{}, timingMembers},
		{timingRepeat{}, repeatMembers},
		{r4.CodeableConcept{}, r4ConceptMembers},
		{r4.Coding{}, r4CodingMembers},
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.typ)
		got := map[string]bool{}
		jsonMembers(typ, got)
		want := map[string]bool{}
		for _, m := range tt.members {
			want[m] = true
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: member list differs from the struct's JSON members (-list +struct):\n%s", typ, diff)
		}
	}
	// header.Subject is decoded with referenceMembers.
	got := map[string]bool{}
	jsonMembers(reflect.TypeOf(header{}.Subject), got)
	if diff := cmp.Diff(map[string]bool{"reference": true}, got); diff != "" {
		t.Errorf("header.Subject (-want +got):\n%s", diff)
	}
}

// jsonMembers adds the JSON member names of struct type t to names, as
// encoding/json names them: the json tag, else the lower-cased field name
// (encoding/json matches it ignoring case; the decoders use the FHIR
// spelling), with embedded structs' members promoted and shadowed ones
// counted once.
func jsonMembers(t reflect.Type, names map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			jsonMembers(f.Type, names)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		if name != "-" && f.IsExported() {
			names[name] = true
		}
	}
}
