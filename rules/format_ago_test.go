package rules

import "testing"

func TestAgoTextRoundsToTheNearestMonth(t *testing.T) {
	for _, tc := range []struct {
		days int
		want Text
	}{
		{12, Text{NL: "12 dagen", EN: "12 days"}},
		{45, Text{NL: "1 maand", EN: "1 month"}},
		{46, Text{NL: "2 maanden", EN: "2 months"}},
		{242, Text{NL: "8 maanden", EN: "8 months"}},
		{183, Text{NL: "6 maanden", EN: "6 months"}},
		{1888, Text{NL: "5 jaar en 2 maanden", EN: "5 years and 2 months"}},
	} {
		if got := AgoText(tc.days); got != tc.want {
			t.Errorf("AgoText(%d) = %v, want %v", tc.days, got, tc.want)
		}
	}
}
