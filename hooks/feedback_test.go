package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/fracturecds/fracturecds/rules"
)

// fakeStore records what the handler hands to the card log and the
// feedback store, or fails when err is set.
type fakeStore struct {
	mu       sync.Mutex
	cards    []IssuedCard
	feedback []Feedback
	err      error
}

func (f *fakeStore) RecordCards(_ context.Context, cards []IssuedCard) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.cards = append(f.cards, cards...)
	return nil
}

func (f *fakeStore) SaveFeedback(_ context.Context, fb []Feedback) (FeedbackResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return FeedbackResult{}, f.err
	}
	f.feedback = append(f.feedback, fb...)
	return FeedbackResult{Stored: len(fb)}, nil
}

// Check fails while the store fails, as a database that is gone does.
func (f *fakeStore) Check(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func newFeedbackHandler(t *testing.T, st *fakeStore, logger *zap.Logger, failures *atomic.Int64) *testHandler {
	t.Helper()
	if logger == nil {
		logger = zap.NewNop()
	}
	return &testHandler{h: NewHandler(Config{
		Logger:          logger,
		Facts:           staticFacts(pieterse()),
		Thresholds:      rules.DefaultThresholds(),
		Prefetch:        map[string]string{"patient": "Patient/{{context.patientId}}"},
		Now:             func() time.Time { return testNow },
		NewUUID:         seqUUID(),
		CardLog:         st,
		Feedback:        st,
		Storage:         st,
		CardLogFailures: failures,
	})}
}

const feedbackPath = "/cds-services/" + ServicePatientView + "/feedback"

func TestFeedbackValidationAnswers400NamingEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings of the OperationOutcome diagnostics
	}{
		{"not JSON", `{`, []string{"not valid JSON"}},
		{"feedback missing", `{}`, []string{`"feedback" (an array) is required`}},
		{"feedback not an array", `{"feedback": {}}`, []string{"wrong JSON type"}},
		{"card missing", `{"feedback":[{"outcome":"overridden","outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`,
			[]string{"feedback[0].card: required"}},
		{"outcome unknown", `{"feedback":[{"card":"c1","outcome":"ignored","outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`,
			[]string{"feedback[0].outcome: must be accepted or overridden"}},
		{"accepted without acceptedSuggestions", `{"feedback":[{"card":"c1","outcome":"accepted","outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`,
			[]string{"feedback[0].acceptedSuggestions: required when outcome is accepted"}},
		{"accepted suggestion without id", `{"feedback":[{"card":"c1","outcome":"accepted","acceptedSuggestions":[{}],"outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`,
			[]string{"feedback[0].acceptedSuggestions[0].id: required"}},
		{"override reason without system", `{"feedback":[{"card":"c1","outcome":"overridden","overrideReason":{"reason":{"code":"not-applicable"}},"outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`,
			[]string{"feedback[0].overrideReason.reason: a Coding needs both system and code"}},
		{"override reason on an accepted card", `{"feedback":[{"card":"c1","outcome":"accepted","acceptedSuggestions":[{"id":"s1"}],"overrideReason":{"userComment":"x"},"outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`,
			[]string{"feedback[0].overrideReason: only allowed when outcome is overridden"}},
		{"timestamp missing", `{"feedback":[{"card":"c1","outcome":"overridden"}]}`,
			[]string{"feedback[0].outcomeTimestamp: required"}},
		{"timestamp not RFC 3339", `{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"11-12-2021 10:05"}]}`,
			[]string{"feedback[0].outcomeTimestamp: not an RFC 3339 date-time"}},
		{"problems in several items are all named", `{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2024-03-01T10:00:00Z"},{"outcome":"accepted"}]}`,
			[]string{"feedback[1].card: required", "feedback[1].acceptedSuggestions: required", "feedback[1].outcomeTimestamp: required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{}
			rec := post(t, newFeedbackHandler(t, st, nil, nil), feedbackPath, tt.body, nil)
			if rec.Code != 400 {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			var oo outcome
			if err := json.Unmarshal(rec.Body.Bytes(), &oo); err != nil || len(oo.Issue) != 1 {
				t.Fatalf("body is not an OperationOutcome with one issue: %s", rec.Body)
			}
			for _, w := range tt.want {
				if !strings.Contains(oo.Issue[0].Diagnostics, w) {
					t.Errorf("diagnostics %q do not contain %q", oo.Issue[0].Diagnostics, w)
				}
			}
			if len(st.feedback) != 0 {
				t.Errorf("invalid feedback was stored: %v", st.feedback)
			}
		})
	}
}

func TestFeedbackIsStoredWithItsServiceAndAnswers200EmptyObject(t *testing.T) {
	st := &fakeStore{}
	h := newFeedbackHandler(t, st, nil, nil)
	// The sandbox's shapes: accepted with suggestion ids; overridden with a
	// reason Coding and no display; plus an offset timestamp and a comment.
	body := `{"feedback":[
	  {"card":"c1","outcome":"accepted","acceptedSuggestions":[{"id":"s1"},{"id":"s2"}],"outcomeTimestamp":"2024-03-01T10:05:31Z"},
	  {"card":"c2","outcome":"overridden","overrideReason":{"reason":{"code":"patient-declined","system":"` + OverrideReasonSystem + `"},"userComment":"wil eerst overleggen"},"outcomeTimestamp":"2024-03-01T11:05:31+01:00"},
	  {"card":"c3","outcome":"overridden","outcomeTimestamp":"2024-03-01T10:05:31.250Z","extension":{"x":1}}
	]}`
	rec := post(t, h, feedbackPath, body, nil)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "{}" {
		t.Fatalf("got %d %s, want 200 {}", rec.Code, rec.Body)
	}
	at := time.Date(2024, 3, 1, 10, 5, 31, 0, time.UTC)
	want := []Feedback{
		{Service: ServicePatientView, Card: "c1", Outcome: OutcomeAccepted, AcceptedSuggestions: []string{"s1", "s2"}, OutcomeTimestamp: at, ReceivedAt: testNow},
		{Service: ServicePatientView, Card: "c2", Outcome: OutcomeOverridden, ReasonSystem: OverrideReasonSystem, ReasonCode: "patient-declined", UserComment: "wil eerst overleggen", OutcomeTimestamp: at, ReceivedAt: testNow},
		{Service: ServicePatientView, Card: "c3", Outcome: OutcomeOverridden, OutcomeTimestamp: at.Add(250 * time.Millisecond), ReceivedAt: testNow},
	}
	if d := cmp.Diff(want, st.feedback); d != "" {
		t.Errorf("stored feedback (-want +got):\n%s", d)
	}
}

func TestFeedbackRoutingErrors(t *testing.T) {
	h := newFeedbackHandler(t, &fakeStore{}, nil, nil)
	valid := `{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`
	tests := []struct {
		name, method, path, contentType string
		want                            int
	}{
		{"unknown service", "POST", "/cds-services/no-such-service/feedback", "application/json", 404},
		{"GET is not allowed", "GET", feedbackPath, "", 405},
		{"not JSON content type", "POST", feedbackPath, "text/plain", 415},
		{"empty array is a no-op", "POST", feedbackPath, "application/json", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := valid
			if tt.name == "empty array is a no-op" {
				body = `{"feedback":[]}`
			}
			rec := h.do(t, tt.method, tt.path, tt.contentType, body)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

// TestFeedbackThatCannotBeStoredIs503WithRetryAfter: feedback the store
// refuses is never answered 200 but 503 with Retry-After (the EHR sends it
// again; the endpoint is idempotent), without the store's error text; and
// /readyz turns 503 while the store fails, and 200 again when it recovers.
func TestFeedbackThatCannotBeStoredIs503WithRetryAfter(t *testing.T) {
	st := &fakeStore{err: errors.New("disk full at /var/lib/secret")}
	h := newFeedbackHandler(t, st, nil, nil)
	body := `{"feedback":[{"card":"c1","outcome":"overridden","outcomeTimestamp":"2024-03-01T10:00:00Z"}]}`
	rec := post(t, h, feedbackPath, body, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || strings.Contains(rec.Body.String(), "disk") {
		t.Errorf("got %d Retry-After %q %s, want 503 with Retry-After and no detail", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	if rec := h.do(t, http.MethodGet, "/readyz", "", ""); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with a failing store: %d, want 503", rec.Code)
	}
	st.mu.Lock()
	st.err = nil
	st.mu.Unlock()
	if rec := h.do(t, http.MethodGet, "/readyz", "", ""); rec.Code != http.StatusOK {
		t.Errorf("/readyz after the store recovered: %d, want 200", rec.Code)
	}
	if rec := post(t, h, feedbackPath, body, nil); rec.Code != http.StatusOK || len(st.feedback) != 1 {
		t.Errorf("retry after recovery: %d, %d stored", rec.Code, len(st.feedback))
	}
}

func TestIssuedCardsAreRecordedWithTopicsAndNoPatientData(t *testing.T) {
	st := &fakeStore{}
	rec := post(t, newFeedbackHandler(t, st, nil, nil), "/cds-services/"+ServicePatientView, validPatientView, nil)
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var resp Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Cards) == 0 {
		t.Fatal("no cards: the test needs at least one")
	}
	var want []IssuedCard
	for _, c := range resp.Cards {
		ic := IssuedCard{UUID: c.UUID, Service: ServicePatientView, Topic: c.Source.Topic.Code, Indicator: c.Indicator, IssuedAt: testNow}
		for _, s := range c.Suggestions {
			ic.SuggestionUUIDs = append(ic.SuggestionUUIDs, s.UUID)
		}
		want = append(want, ic)
	}
	if d := cmp.Diff(want, st.cards); d != "" {
		t.Errorf("recorded cards (-want +got):\n%s", d)
	}
	raw, _ := json.Marshal(st.cards)
	for _, phi := range []string{"pieterse", "d1577c69", "gp-1", "1961"} {
		if strings.Contains(string(raw), phi) {
			t.Errorf("card log holds request data %q: %s", phi, raw)
		}
	}
}

func TestCardLogFailureIsLoggedAndCountedButTheCardsStillGoOut(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	var failures atomic.Int64
	st := &fakeStore{err: errors.New("database is locked")}
	rec := post(t, newFeedbackHandler(t, st, zap.New(core), &failures), "/cds-services/"+ServicePatientView, validPatientView, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"uuid"`) {
		t.Fatalf("got %d %s, want 200 with cards", rec.Code, rec.Body)
	}
	if failures.Load() != 1 {
		t.Errorf("failures counted %d, want 1", failures.Load())
	}
	if n := logs.FilterMessageSnippet("card log").Len(); n != 1 {
		t.Errorf("%d card-log error lines, want 1: %v", n, logs.All())
	}
}

// testHandler sends arbitrary methods and content types.
type testHandler struct {
	h interface {
		ServeHTTP(w http.ResponseWriter, r *http.Request)
	}
}

func (th *testHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { th.h.ServeHTTP(w, r) }

func (th *testHandler) do(t *testing.T, method, path, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	th.h.ServeHTTP(rec, req)
	return rec
}
