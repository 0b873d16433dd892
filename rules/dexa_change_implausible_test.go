package rules

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDexaChangeImplausibleFires(t *testing.T) {
	sp, th, nk := SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck
	tests := []struct {
		name  string
		facts Facts
	}{
		{"femoral neck +10.1 % in one interval", dcFacts(dcPair(nk, 1, 1.101))},
		{"S7: femoral neck +15.3 % with spine -1.5 %", dcFacts(dcPair(sp, 0.944, 0.930), dcPair(nk, 0.704, 0.812))},
		{"spine -10.1 %", dcFacts(dcPair(sp, 1, 0.899))},
		{"spine +12 % even with a vertebral fracture (check individual vertebrae)", dcWith(dcFacts(dcPair(sp, 1, 1.12)), nil, dcL1Fracture)},
		{"hip significantly worse (-4.5 %) while spine significantly better (+3.5 %)", dcFacts(dcPair(sp, 1, 1.035), dcPair(th, 1, 0.955))},
		{"spine significantly worse (-3.5 %) while femoral neck significantly better (+4.5 %)", dcFacts(dcPair(sp, 1, 0.965), dcPair(nk, 1, 1.045))},
		{"report-only percentage +15.4 % at the femoral neck", dcFacts([]DXAMeasurement{{Source: "Observation/pct", Site: nk, Measure: BMDChangePct, Value: 15.4, Date: dcT.AddDate(0, 0, -10)}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff([]fxOutcome{{Warning, nil}}, fxRun(DexaChangeImplausible, tc.facts)); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDexaChangeImplausibleStaysSilent(t *testing.T) {
	sp, th, nk := SiteLumbarSpine, SiteTotalHip, SiteFemoralNeck
	tests := []struct {
		name  string
		facts Facts
	}{
		{"femoral neck +10.0 % (not more than 10 %)", dcFacts(dcPair(nk, 1, 1.100))},
		{"spine -10.0 %", dcFacts(dcPair(sp, 1, 0.900))},
		{"S4: spine +8.0 % and neck +4.5 % both improve", dcFacts(dcPair(sp, 0.800, 0.864), dcPair(nk, 0.620, 0.648))},
		{"S6: spine +2.9 % (L1 fracture) and hip +1.9 %", dcWith(dcFacts(dcPair(sp, 0.853, 0.878), dcPair(th, 0.733, 0.747)), nil, dcL1Fracture)},
		{"spine better +3.5 % but hip -4.0 % not significant", dcFacts(dcPair(sp, 1, 1.035), dcPair(th, 1, 0.960))},
		{"spine +3.0 % not significant with hip -4.5 %", dcFacts(dcPair(sp, 1, 1.030), dcPair(th, 1, 0.955))},
		{"hip -5 % with spine +5 % explained by a vertebral fracture", dcWith(dcFacts(dcPair(sp, 1, 1.05), dcPair(th, 1, 0.95)), nil, dcL1Fracture)},
		{"femoral neck +15 % but the newest DXA is 91 days old",
			dcFacts([]DXAMeasurement{dcBMD("p", nk, 0.7, 800), dcBMD("c", nk, 0.81, 91)})},
		{"no previous measurement", dcFacts([]DXAMeasurement{dcBMD("c", nk, 0.81, 10)})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := fxRun(DexaChangeImplausible, tc.facts); len(got) != 0 {
				t.Errorf("want no finding, got %+v", got)
			}
		})
	}
}

func TestDexaChangeImplausibleText(t *testing.T) {
	t.Run("S7 summary, evidence and advice", func(t *testing.T) {
		fd := fxFinding(t, DexaChangeImplausible, dcFacts(dcPair(SiteLumbarSpine, 0.944, 0.930), dcPair(SiteFemoralNeck, 0.704, 0.812)))
		want := Text{
			NL: "Onverklaarbaar groot BMD-verschil (heuphals +15,3 %): overleg met de DXA-afdeling",
			EN: "Unexplained large BMD change (femoral neck +15.3 %): discuss with the DXA department",
		}
		if diff := cmp.Diff(want, fd.Summary); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
		var srcs []Ref
		for _, e := range fd.Evidence {
			srcs = append(srcs, e.Source)
		}
		wantSrc := []Ref{"Observation/femoral-neck-prev", "Observation/femoral-neck-cur", "Observation/femoral-neck-cur"}
		if diff := cmp.Diff(wantSrc, srcs); diff != "" {
			t.Errorf("evidence sources (-want +got):\n%s", diff)
		}
		if !strings.Contains(fd.Detail.EN, "hip positioning") || !strings.Contains(fd.Detail.NL, "positie van de heup") {
			t.Errorf("detail lacks the seed advice:\n%s", fd.Detail.EN)
		}
		if len(fd.Suggestions) != 0 {
			t.Errorf("want text-only advice, got suggestions %+v", fd.Suggestions)
		}
		if !strings.Contains(fd.Thresholds[0].EN, "|Δ| > 10 % per interval") {
			t.Errorf("thresholds %+v", fd.Thresholds)
		}
	})
	t.Run("discordance summary", func(t *testing.T) {
		fd := fxFinding(t, DexaChangeImplausible, dcFacts(dcPair(SiteLumbarSpine, 1, 1.035), dcPair(SiteTotalHip, 1, 0.955)))
		want := Text{
			NL: "Tegenstrijdig BMD-verschil (LWK +3,5 %, totale heup −4,5 %): overleg met de DXA-afdeling",
			EN: "Discordant BMD change (spine +3.5 %, total hip -4.5 %): discuss with the DXA department",
		}
		if diff := cmp.Diff(want, fd.Summary); diff != "" {
			t.Errorf("summary (-want +got):\n%s", diff)
		}
		for _, s := range []string{fd.Summary.NL, fd.Summary.EN} {
			if utf8.RuneCountInString(s) >= 140 {
				t.Errorf("summary too long: %s", s)
			}
		}
	})
}
