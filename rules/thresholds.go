package rules

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Thresholds holds every number the rules use. DefaultThresholds gives the
// values chosen in shared/design/rules.md §3 and §6; a hospital may override
// any of them by configuration key (the `key` tag, lower case in YAML).
//
// Sources are cited per field: SEED-GP is the GP slide deck
// "Fractuurpreventie verdieping", SEED-MTX the Dutch MTX osteopathy case
// report; NHG 2012/2024 is the NHG-Standaard Fractuurpreventie M69; NIV 2022
// the multidisciplinary "Richtlijn Osteoporose en fractuurpreventie".
type Thresholds struct {
	// CaseFindMinAge: age ≥ 50. NHG 2024 "≥ 50 jaar"; NIV 2022 "≥ 50"
	// (NHG 2012 said "> 50": D13).
	CaseFindMinAge int `key:"CASEFIND_MIN_AGE"`
	// RecentFractureMonths: a non-vertebral fracture is recent when < 24
	// months old. NHG 2012/2024 "< 2 jaar".
	RecentFractureMonths int `key:"RECENT_FRACTURE_MONTHS"`
	// VertebralFractureAnytime: vertebral fractures count at any age of the
	// fracture. NHG 2012 (D14).
	VertebralFractureAnytime bool `key:"VERTEBRAL_FRACTURE_ANYTIME"`
	// TScoreOsteoporosis: T ≤ −2.5. WHO 1994; NHG 2012 "lager of gelijk aan
	// −2,5" (D1).
	TScoreOsteoporosis float64 `key:"TSCORE_OSTEOPOROSIS"`
	// TScoreOsteopeniaUpper: osteopenia when T < −1.0. WHO 1994; SEED-MTX.
	TScoreOsteopeniaUpper float64 `key:"TSCORE_OSTEOPENIA_UPPER"`
	// ZScoreBelowExpected: Z ≤ −2.0 is "below the expected range for age"
	// for men < 50 and premenopausal women. ISCD (UNVERIFIED, D15).
	ZScoreBelowExpected float64 `key:"ZSCORE_BELOW_EXPECTED"`
	// DXARecentDays: the WHO classification card shows DXA results ≤ 90
	// days old. [DESIGN]
	DXARecentDays int `key:"DXA_RECENT_DAYS"`
	// GCMinAge: glucocorticoid risk group from age 40. NHG 2024 risk group 2.
	GCMinAge int `key:"GC_MIN_AGE"`
	// GCMinDurationDays: systemic glucocorticoids ≥ 3 months. NHG 2024;
	// risedronate SmPC "> 3 months".
	GCMinDurationDays int `key:"GC_MIN_DURATION_DAYS"`
	// GCHighDoseMgPredEq: ≥ 7.5 mg/day prednisolone equivalent. Risedronate
	// SmPC "≥ 7.5 mg/day"; SEED-GP "> 7.5 mg per dag" (D3).
	GCHighDoseMgPredEq float64 `key:"GC_HIGH_DOSE_MG_PRED_EQ"`
	// GCBurstsPerYear: ≥ 4 short courses a year. NHG 2024 "≥ 4 stootkuren".
	GCBurstsPerYear int `key:"GC_BURSTS_PER_YEAR"`
	// GCBurstMaxDays: a course of ≤ 14 days counts as a burst. [DESIGN]
	GCBurstMaxDays int `key:"GC_BURST_MAX_DAYS"`
	// MTXLongTermMonths: long-term methotrexate is ≥ 24 months cumulative.
	// [DESIGN]: SEED-MTX does not define "langdurig"; its cases had 4 and 5
	// years, the Robin 2021 review mean is 7.9 years.
	MTXLongTermMonths int `key:"MTX_LONG_TERM_MONTHS"`
	// MTXFractureWindowAfterStopMonths: methotrexate still counts ≤ 12
	// months after stopping. [DESIGN]
	MTXFractureWindowAfterStopMonths int `key:"MTX_FRACTURE_WINDOW_AFTER_STOP_MONTHS"`
	// MTXPostDXAZScore: after a fracture or bone pain on methotrexate, a
	// DXA Z-score ≤ −1.0 in a man < 50 keeps the MTX osteopathy card (R04
	// post-DXA variant). [DESIGN] rules.md R04.
	MTXPostDXAZScore float64 `key:"MTX_POST_DXA_ZSCORE"`
	// LabFreshDays: a pre-treatment lab result counts when ≤ 180 days old.
	// [DESIGN]
	LabFreshDays int `key:"LAB_FRESH_DAYS"`
	// RecentOrderDays: a test done (or a DXA ordered or done) in the last
	// 30 days is not ordered again. [DESIGN] issue 12 (clinical review:
	// TSH/FT4 of 5 days ago were re-ordered).
	RecentOrderDays int `key:"RECENT_ORDER_DAYS"`
	// AlcoholUnitsHigh: alcohol ≥ 3 units a day is a fracture risk factor.
	// NIV 2022 and FRAX ("3 or more units of alcohol daily"); SEED-GP
	// Casus 1 (5 EH/dag) as the example.
	AlcoholUnitsHigh float64 `key:"ALCOHOL_UNITS_HIGH"`
	// CalciumIntakeLowMg: dietary calcium below 1000 mg a day is low.
	// NHG M69 / Gezondheidsraad: 1000–1200 mg a day from age 50. [DESIGN]
	CalciumIntakeLowMg float64 `key:"CALCIUM_INTAKE_LOW_MG"`
	// EGFRFreshDaysZoledronic: eGFR ≤ 30 days old before zoledronic acid.
	// [DESIGN]; Aclasta SmPC "before each dose".
	EGFRFreshDaysZoledronic int `key:"EGFR_FRESH_DAYS_ZOLEDRONIC"`
	// EGFRMaxAgeDays: the eGFR used for contraindication checks is ≤ 365
	// days old. [DESIGN]
	EGFRMaxAgeDays int `key:"EGFR_MAX_AGE_DAYS"`
	// EGFRBPContraindicated: eGFR < 30 contraindicates every bisphosphonate.
	// SEED-GP "Bij klaring <30 ml/min geen bisfosfonaten"; risedronate SmPC.
	EGFRBPContraindicated float64 `key:"EGFR_BP_CONTRAINDICATED"`
	// EGFRAlnZolNotRecommended: eGFR < 35 for alendronate and zoledronic
	// acid. Alendronate SmPC "GFR < 35 not recommended" (warning); Aclasta
	// SmPC "CrCl < 35 contraindicated" (critical for zoledronic acid). D4:
	// the seed/NHG use 30 for every bisphosphonate.
	EGFRAlnZolNotRecommended float64 `key:"EGFR_ALN_ZOL_NOT_RECOMMENDED"`
	// ALPLow: alkaline phosphatase < 40 U/L. SEED-GP "AF < 40 geen
	// bisfosfonaten" (D6; Ng 2023 used < 30).
	ALPLow float64 `key:"ALP_LOW"`
	// ALPHigh: > 125 U/L. SEED-GP reference "< 125", "Bottumoren".
	ALPHigh float64 `key:"ALP_HIGH"`
	// VitDDeficient: 25-OH vitamin D < 50 nmol/L. SEED-GP "≥ 50".
	VitDDeficient float64 `key:"VITD_DEFICIENT"`
	// Calcium, phosphate, albumin, TSH, free T4 reference ranges and the ESR
	// upper limit. SEED-GP lab table (Casus 1).
	CalciumLow    float64 `key:"CALCIUM_LOW"`
	CalciumHigh   float64 `key:"CALCIUM_HIGH"`
	PhosphateLow  float64 `key:"PHOSPHATE_LOW"`
	PhosphateHigh float64 `key:"PHOSPHATE_HIGH"`
	AlbuminLow    float64 `key:"ALBUMIN_LOW"`
	AlbuminHigh   float64 `key:"ALBUMIN_HIGH"`
	TSHLow        float64 `key:"TSH_LOW"`
	TSHHigh       float64 `key:"TSH_HIGH"`
	FT4Low        float64 `key:"FT4_LOW"`
	FT4High       float64 `key:"FT4_HIGH"`
	ESRHigh       float64 `key:"ESR_HIGH"`
	// OralBPReviewYears: review oral bisphosphonates after 5 years. SEED-GP
	// / NHG 2012; NIV 2022 "5 jaar voor alendroninezuur en risedroninezuur".
	OralBPReviewYears int `key:"ORAL_BP_REVIEW_YEARS"`
	// ZolReviewYears: review zoledronic acid after 3 years. NIV 2022; ASBMR.
	ZolReviewYears int `key:"ZOL_REVIEW_YEARS"`
	// BPMaxYears: oral bisphosphonate at most 10 years. SEED-GP / NHG 2012.
	BPMaxYears int `key:"BP_MAX_YEARS"`
	// ZolMaxYears: zoledronic acid at most 6 years. ASBMR (partly
	// UNVERIFIED).
	ZolMaxYears int `key:"ZOL_MAX_YEARS"`
	// BPHolidayReevalYears: re-evaluate 3 years after stopping. SEED-GP /
	// NHG 2012 "Drie jaar na het staken".
	BPHolidayReevalYears int `key:"BP_HOLIDAY_REEVAL_YEARS"`
	// BPContinueHipT: continue after 5 years when hip T ≤ −2.5. SEED-GP
	// "T-score heup(hals) < −2.5" (D2: ≤ chosen).
	BPContinueHipT float64 `key:"BP_CONTINUE_HIP_T"`
	// BPMergeGapDays: medication episodes closer than 90 days are merged.
	// [DESIGN] (weekly oral bisphosphonates).
	BPMergeGapDays int `key:"EPISODE_MERGE_GAP_DAYS"`
	// DmabIntervalDays: denosumab 60 mg every 6 months (183 days). SEED-GP
	// "60 mg Q6M"; Prolia label.
	DmabIntervalDays int `key:"DMAB_INTERVAL_DAYS"`
	// DmabLateWarningDays: > 211 days (6 months + 4 weeks). Lyu 2020.
	DmabLateWarningDays int `key:"DMAB_LATE_WARNING_DAYS"`
	// DmabLateCriticalDays: > 295 days (6 months + 16 weeks). Lyu 2020
	// vertebral fracture HR 3.91.
	DmabLateCriticalDays int `key:"DMAB_LATE_CRITICAL_DAYS"`
	// DmabDispensePeriodMaxDays: a denosumab MedicationStatement whose
	// effectivePeriod is at most 200 days long records one dispense (one
	// injection, dated by the period's start), also when its status is
	// completed: GP systems send one statement per dispense covering the
	// 6-month interval (rules.md §0.3). A longer completed period is a
	// therapy-level record whose end is a stop (R19). [DESIGN]: one interval
	// (183 days) plus a margin for late dispensing.
	DmabDispensePeriodMaxDays int `key:"DMAB_DISPENSE_PERIOD_MAX_DAYS"`
	// DmabOncologyMaxIntervalDays: denosumab injections of unknown strength
	// given less than 90 days apart follow the 4-weekly Xgeva 120 mg
	// (oncology) schedule, not the 6-monthly Prolia 60 mg one (Prolia/Xgeva
	// labels); they are excluded from the osteoporosis rules. [DESIGN]
	DmabOncologyMaxIntervalDays int `key:"DMAB_ONCOLOGY_MAX_INTERVAL_DAYS"`
	// DmabReviewYears: review denosumab after 5 years. ECTS 2017 (D7: NIV 3).
	DmabReviewYears int `key:"DMAB_REVIEW_YEARS"`
	// DmabMaxYears: denosumab up to 10 years. ECTS 2017.
	DmabMaxYears int `key:"DMAB_MAX_YEARS"`
	// ZolAfterDmabDays: zoledronic acid 183 days after the last denosumab
	// dose. SEED-GP "eenmalig zoledronaat"; ECTS 2021.
	ZolAfterDmabDays int `key:"ZOL_AFTER_DMAB_DAYS"`
	// ZolTooEarlyAfterDmabDays: zoledronic acid < 150 days after the last
	// denosumab dose is early. [DESIGN]
	ZolTooEarlyAfterDmabDays int `key:"ZOL_TOO_EARLY_AFTER_DMAB_DAYS"`
	// DmabOPStrengthMg: the osteoporosis denosumab product (Prolia) is 60 mg;
	// 120 mg (Xgeva, oncology) is excluded. Prolia/Xgeva labels.
	DmabOPStrengthMg float64 `key:"DMAB_OP_STRENGTH_MG"`
	// TptdMaxMonths: teriparatide at most 24 months per lifetime. Forsteo
	// SmPC; SEED-GP "Maximaal 24 maanden" (D9).
	TptdMaxMonths int `key:"TPTD_MAX_MONTHS"`
	// TptdWarnMonths: announce the end of the course at 22 months. [DESIGN]
	TptdWarnMonths int `key:"TPTD_WARN_MONTHS"`
	// TptdUSLabel: apply the US Forteo label (> 2 years only if still high
	// risk): critical becomes warning. D9.
	TptdUSLabel bool `key:"TPTD_US_LABEL"`
	// RomoCourseMonths: romosozumab course is 12 months. NIV 2022.
	RomoCourseMonths int `key:"ROMO_COURSE_MONTHS"`
	// AnabolicFollowupDays: an antiresorptive should start ≤ 90 days after
	// an anabolic course. [DESIGN]
	AnabolicFollowupDays int `key:"ANABOLIC_FOLLOWUP_DAYS"`
	// LSCSpinePct and LSCHipPct: a BMD change is significant when > 3 %
	// (spine) or > 4 % (hip). SEED-GP (D10).
	LSCSpinePct float64 `key:"LSC_SPINE_PCT"`
	LSCHipPct   float64 `key:"LSC_HIP_PCT"`
	// LSCMode: "seed-fixed" or "iscd-local" (LSC = 2.77 × precision error).
	LSCMode string `key:"LSC_MODE"`
	// PrecisionErrorSpine and PrecisionErrorHip are the facility's RMS-SD in
	// g/cm2 for iscd-local mode. ISCD.
	PrecisionErrorSpine float64 `key:"PRECISION_ERROR_SPINE"`
	PrecisionErrorHip   float64 `key:"PRECISION_ERROR_HIP"`
	// DXAImplausiblePct: a change > 10 % per interval is implausible.
	// [DESIGN]; SEED-GP "onverklaarbaar groot verschil" (+15.4 %).
	DXAImplausiblePct float64 `key:"DXA_IMPLAUSIBLE_PCT"`
	// FallsTrigger: ≥ 2 falls in 12 months. NHG 2024.
	FallsTrigger int `key:"FALLS_TRIGGER"`
	// FractureOnTxMinMonths: a fracture ≥ 12 months into treatment. NIV 2022;
	// NHGDoc "> 1 jaar".
	FractureOnTxMinMonths int `key:"FRACTURE_ON_TX_MIN_MONTHS"`
	// FractureOnTxReferCount: ≥ 2 new fractures → referral. NHGDoc.
	FractureOnTxReferCount int `key:"FRACTURE_ON_TX_REFER_COUNT"`
	// VFAGrade1Counts: a Genant grade 1 deformity counts as a fracture.
	// Default false (rules.md §7.5, UNVERIFIED).
	VFAGrade1Counts bool `key:"VFA_GRADE1_COUNTS"`
	// DXAReviewMaxAgeMonths: a DXA ≤ 12 months old counts for a review.
	// [DESIGN]
	DXAReviewMaxAgeMonths int `key:"DXA_REVIEW_MAX_AGE_MONTHS"`
	// ALPRecentFractureMonths: a raised ALP is not flagged when a fracture
	// healed in the last 3 months (fracture healing raises ALP). [DESIGN] per
	// NIV 2022 laboratory module (rules.md R12).
	ALPRecentFractureMonths int `key:"ALP_RECENT_FRACTURE_MONTHS"`
	// ZolOPStrengthMg: the osteoporosis zoledronic acid product (Aclasta) is
	// 5 mg once yearly; 4 mg (Zometa, oncology) does not count as
	// osteoporosis exposure. Aclasta SmPC; rules.md §2.3.
	ZolOPStrengthMg float64 `key:"ZOL_OP_STRENGTH_MG"`
	// ZScoreUnderAge: men younger than 50 are classified by Z-score, not by
	// the WHO T-score classes. WHO/ISCD "The WHO T-score criteria apply
	// mainly to postmenopausal women and men over 50; Z-scores are used for
	// other populations" (D15).
	ZScoreUnderAge int `key:"ZSCORE_UNDER_AGE"`
	// LabWorkupAgeOver: the NIV lab work-up applies to patients older than
	// 50 (> 50). NIV 2022 laboratory module "ouder dan 50 jaar".
	LabWorkupAgeOver int `key:"LAB_WORKUP_AGE_OVER"`
	// TestosteroneUnderAge: consider serum testosterone in men younger than
	// 70. NIV 2022 laboratory module "mannen jonger dan 70 jaar".
	TestosteroneUnderAge int `key:"TESTOSTERONE_UNDER_AGE"`
	// GCDXARecentMonths: the glucocorticoid risk card stays silent when a
	// DXA is ≤ 24 months old. [DESIGN] rules.md R02.
	GCDXARecentMonths int `key:"GC_DXA_RECENT_MONTHS"`
	// GCRecentEndDays: a long glucocorticoid course counts while active or
	// ended ≤ 90 days ago. [DESIGN] rules.md R02.
	GCRecentEndDays int `key:"GC_RECENT_END_DAYS"`
	// GCContinuousGapDays: glucocorticoid records ≤ 30 days apart form one
	// continuous course (prescription renewals). [DESIGN]: GP refill
	// patterns leave gaps of one to several weeks between 30-day
	// prescriptions (late collection, tablets left over from a higher
	// starting dose); a 7-day limit split three months of prednisolone with
	// 10-day gaps into short courses and gave no card.
	GCContinuousGapDays int `key:"GC_CONTINUOUS_GAP_DAYS"`
	// MonitoringWindowDays: a treatment-monitoring reminder (R27) shows
	// from 30 days before to 30 days after each due date (1 month, years
	// 1–4 after the start of treatment). [DESIGN]; SEED-GP "Controlebeleid
	// 1e lijn" gives the due dates, no window.
	MonitoringWindowDays int `key:"MONITORING_WINDOW_DAYS"`
}

// DefaultThresholds returns the defaults of rules.md §3 and §6.
func DefaultThresholds() Thresholds {
	return Thresholds{
		CaseFindMinAge:                   50,
		RecentFractureMonths:             24,
		VertebralFractureAnytime:         true,
		TScoreOsteoporosis:               -2.5,
		TScoreOsteopeniaUpper:            -1.0,
		ZScoreBelowExpected:              -2.0,
		DXARecentDays:                    90,
		GCMinAge:                         40,
		GCMinDurationDays:                90,
		GCHighDoseMgPredEq:               7.5,
		GCBurstsPerYear:                  4,
		GCBurstMaxDays:                   14,
		MTXLongTermMonths:                24,
		MTXFractureWindowAfterStopMonths: 12,
		MTXPostDXAZScore:                 -1.0,
		LabFreshDays:                     180,
		RecentOrderDays:                  30,
		AlcoholUnitsHigh:                 3,
		CalciumIntakeLowMg:               1000,
		EGFRFreshDaysZoledronic:          30,
		EGFRMaxAgeDays:                   365,
		EGFRBPContraindicated:            30,
		EGFRAlnZolNotRecommended:         35,
		ALPLow:                           40,
		ALPHigh:                          125,
		VitDDeficient:                    50,
		CalciumLow:                       2.10,
		CalciumHigh:                      2.55,
		PhosphateLow:                     0.9,
		PhosphateHigh:                    1.5,
		AlbuminLow:                       35,
		AlbuminHigh:                      55,
		TSHLow:                           0.4,
		TSHHigh:                          4,
		FT4Low:                           13,
		FT4High:                          23,
		ESRHigh:                          30,
		OralBPReviewYears:                5,
		ZolReviewYears:                   3,
		BPMaxYears:                       10,
		ZolMaxYears:                      6,
		BPHolidayReevalYears:             3,
		BPContinueHipT:                   -2.5,
		BPMergeGapDays:                   90,
		DmabIntervalDays:                 183,
		DmabLateWarningDays:              211,
		DmabLateCriticalDays:             295,
		DmabDispensePeriodMaxDays:        200,
		DmabOncologyMaxIntervalDays:      90,
		DmabReviewYears:                  5,
		DmabMaxYears:                     10,
		ZolAfterDmabDays:                 183,
		ZolTooEarlyAfterDmabDays:         150,
		DmabOPStrengthMg:                 60,
		TptdMaxMonths:                    24,
		TptdWarnMonths:                   22,
		RomoCourseMonths:                 12,
		AnabolicFollowupDays:             90,
		LSCSpinePct:                      3,
		LSCHipPct:                        4,
		LSCMode:                          "seed-fixed",
		DXAImplausiblePct:                10,
		FallsTrigger:                     2,
		FractureOnTxMinMonths:            12,
		FractureOnTxReferCount:           2,
		DXAReviewMaxAgeMonths:            12,
		ALPRecentFractureMonths:          3,
		ZolOPStrengthMg:                  5,
		ZScoreUnderAge:                   50,
		LabWorkupAgeOver:                 50,
		TestosteroneUnderAge:             70,
		GCDXARecentMonths:                24,
		GCRecentEndDays:                  90,
		GCContinuousGapDays:              30,
		MonitoringWindowDays:             30,
	}
}

// ThresholdKeys lists every configuration key, sorted.
func ThresholdKeys() []string {
	t := reflect.TypeOf(Thresholds{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		keys = append(keys, t.Field(i).Tag.Get("key"))
	}
	sort.Strings(keys)
	return keys
}

// Set overrides the threshold named key (case-insensitive, e.g.
// "casefind_min_age") with value, which must have the field's type
// (int, float64, bool or string). It returns an error for an unknown key or
// a value of the wrong type, so configuration typos fail at start-up.
// Settings that depend on each other (LSC_MODE and the precision errors)
// are checked by Validate once all overrides are applied, so the order in
// which keys are set never matters.
func (th *Thresholds) Set(key string, value any) error {
	v := reflect.ValueOf(th).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if !strings.EqualFold(t.Field(i).Tag.Get("key"), key) {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Int:
			switch x := value.(type) {
			case int:
				f.SetInt(int64(x))
			case int64:
				f.SetInt(x)
			case float64:
				if x != float64(int64(x)) {
					return fmt.Errorf("threshold %s: want a whole number, got %v", key, value)
				}
				f.SetInt(int64(x))
			default:
				return fmt.Errorf("threshold %s: want a whole number, got %s", key, kindOf(value))
			}
		case reflect.Float64:
			switch x := value.(type) {
			case int:
				f.SetFloat(float64(x))
			case int64:
				f.SetFloat(float64(x))
			case float64:
				f.SetFloat(x)
			default:
				return fmt.Errorf("threshold %s: want a number, got %s", key, kindOf(value))
			}
		case reflect.Bool:
			b, ok := value.(bool)
			if !ok {
				return fmt.Errorf("threshold %s: want true or false, got %s", key, kindOf(value))
			}
			f.SetBool(b)
		case reflect.String:
			s, ok := value.(string)
			if !ok {
				return fmt.Errorf("threshold %s: want text, got %s", key, kindOf(value))
			}
			f.SetString(s)
		}
		return nil
	}
	return fmt.Errorf("unknown threshold %q", key)
}

// kindOf names the kind of a configuration value as its author wrote
// it (YAML or JSON), not by its Go type.
func kindOf(value any) string {
	switch value.(type) {
	case string:
		return "text"
	case bool:
		return "true or false"
	case int, int64, float64:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	case nil:
		return "no value"
	}
	return "another kind of value"
}

// Validate rejects settings that cannot be meant.
func (th Thresholds) Validate() error {
	switch th.LSCMode {
	case "seed-fixed":
	case "iscd-local":
		if th.PrecisionErrorSpine <= 0 || th.PrecisionErrorHip <= 0 {
			return fmt.Errorf("LSC_MODE iscd-local needs PRECISION_ERROR_SPINE and PRECISION_ERROR_HIP > 0")
		}
	default:
		return fmt.Errorf("LSC_MODE must be seed-fixed or iscd-local, not %q", th.LSCMode)
	}
	if th.DmabLateWarningDays < th.DmabIntervalDays || th.DmabLateCriticalDays < th.DmabLateWarningDays {
		return fmt.Errorf("denosumab intervals must satisfy DMAB_INTERVAL_DAYS ≤ DMAB_LATE_WARNING_DAYS ≤ DMAB_LATE_CRITICAL_DAYS")
	}
	return nil
}
