package terminology

import (
	"strings"
	"testing"
)

func TestEmbeddedParses(t *testing.T) {
	sets, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, vs := range sets {
		if ids[vs.ID] {
			t.Errorf("value set %s twice", vs.ID)
		}
		ids[vs.ID] = true
		if len(vs.Contains) == 0 {
			t.Errorf("%s has no codes", vs.ID)
		}
		// Every code means something: by its value set or by itself
		// (the DXA codes carry their site and measure).
		for _, c := range vs.Contains {
			if len(vs.Meanings) == 0 && len(c.Meanings) == 0 {
				t.Errorf("%s: %s|%s means nothing", vs.ID, c.System, c.Code)
			}
		}
	}
}

func TestParseValueSet(t *testing.T) {
	tests := []struct {
		name, data, wantErr string
		wantCodes           int
	}{
		{"an $expand answer with nested contains", `{"resourceType":"ValueSet","url":"u","expansion":{"timestamp":"t","contains":[
			{"system":"s","code":"1","contains":[{"system":"s","code":"2"}]},{"abstract":true,"display":"a grouper without a code"}]}}`, "", 2},
		{"not a ValueSet", `{"resourceType":"OperationOutcome"}`, "want ValueSet", 0},
		{"no expansion", `{"resourceType":"ValueSet","url":"u"}`, "has no expansion", 0},
		{"not JSON", `<html>`, "terminology:", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, err := ParseValueSet([]byte(tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(vs.Contains) != tt.wantCodes {
				t.Errorf("%d codes, want %d", len(vs.Contains), tt.wantCodes)
			}
		})
	}
	if _, err := ParseBundle([]byte(`{"resourceType":"Patient"}`)); err == nil {
		t.Error("a Patient parsed as a Bundle")
	}
}
