package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Feedback outcomes (CDS Hooks 2.0.1 §Feedback).
const (
	OutcomeAccepted   = "accepted"
	OutcomeOverridden = "overridden"
)

// Limits on a feedback request. They keep junk out of the store; a real
// EHR sends a handful of items with short ids.
const (
	maxFeedbackItems    = 1000
	maxFeedbackIDLength = 128
	// maxUserCommentRunes caps a stored override comment; longer comments
	// are truncated, not rejected, so that the clinician's outcome counts.
	maxUserCommentRunes = 1000
	// maxReportedProblems caps the problems listed in one 400 answer.
	maxReportedProblems = 20
)

// Feedback is one validated feedback item, as stored.
type Feedback struct {
	// Service is the CDS service id from the feedback URL.
	Service string
	// Card is the card uuid the EHR echoes.
	Card string
	// Outcome is OutcomeAccepted or OutcomeOverridden.
	Outcome string
	// AcceptedSuggestions are the suggestion uuids of an accepted card.
	AcceptedSuggestions []string
	// ReasonSystem and ReasonCode are the override reason's Coding, empty
	// when the clinician picked none.
	ReasonSystem, ReasonCode string
	// UserComment is the clinician's free-text override comment, at most
	// maxUserCommentRunes. It may contain anything a clinician types, so
	// it is stored but never logged and never shown in analytics.
	UserComment string
	// OutcomeTimestamp is when the clinician acted, in UTC.
	OutcomeTimestamp time.Time
	// ReceivedAt is when the service received the feedback.
	ReceivedAt time.Time
}

// FeedbackResult says what became of a batch of feedback.
type FeedbackResult struct {
	// Stored is how many items were new.
	Stored int
	// Duplicates is how many items were already stored (the endpoint is
	// idempotent: the same feedback sent twice is stored once).
	Duplicates int
	// UnknownCards is how many items name a card uuid the card log does
	// not know (issued before the log existed, purged, or never ours).
	UnknownCards int
}

// FeedbackStore stores feedback durably and idempotently.
type FeedbackStore interface {
	SaveFeedback(ctx context.Context, feedback []Feedback) (FeedbackResult, error)
}

// StorageCheck reports whether the store can take writes now: the
// database is reachable, writable and (SQLite) still the file in the data
// directory. /readyz answers 503 while it fails.
type StorageCheck interface {
	Check(ctx context.Context) error
}

// storageCheckTimeout bounds one readiness check of the store, inside
// the readiness probe's 2 s timeout in deploy/kubernetes.
const storageCheckTimeout = 1500 * time.Millisecond

// retryAfterStorage is the Retry-After of a 503 for feedback that could
// not be stored: long enough for a database failover or a restart.
const retryAfterStorage = "30"

// wireFeedback is one item of the request body as sent. Pointers tell a
// missing field from an empty one.
type wireFeedback struct {
	Card                *string `json:"card"`
	Outcome             *string `json:"outcome"`
	AcceptedSuggestions []struct {
		ID *string `json:"id"`
	} `json:"acceptedSuggestions"`
	OverrideReason *struct {
		Reason *struct {
			System  string `json:"system"`
			Code    string `json:"code"`
			Display string `json:"display"`
		} `json:"reason"`
		UserComment *string `json:"userComment"`
	} `json:"overrideReason"`
	OutcomeTimestamp *string `json:"outcomeTimestamp"`
}

// feedback serves POST /cds-services/{id}/feedback. It answers 200 with
// an empty JSON object on success (the spec leaves the status open;
// peers answer 200 and the sandbox ignores the body), 400 with an
// OperationOutcome naming every problem, 404 for an unknown service.
// Without a configured store the feedback is validated and discarded.
func (s *server) feedback(c *gin.Context) {
	id := c.Param("id")
	if _, ok := s.service(id); !ok {
		s.fail(c, errNotFound)
		return
	}
	c.Set(logServiceKey, id)
	body, err := s.readJSONBody(c, new(bytes.Buffer))
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := parseFeedback(body, id, s.cfg.Now())
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, f := range items {
		s.cfg.Metrics.FeedbackOutcome(f.Outcome)
	}
	if s.cfg.Feedback != nil && len(items) > 0 {
		if _, err := s.cfg.Feedback.SaveFeedback(c.Request.Context(), items); err != nil {
			// Never 200 for feedback that is not stored: a 503 tells the EHR
			// to send it again later (the endpoint is idempotent).
			if c.Request.Context().Err() != nil {
				err = fmt.Errorf("%w: %w", errClientClosed, err)
			} else {
				c.Header("Retry-After", retryAfterStorage)
				err = fmt.Errorf("%w: %w", errStorageUnavailable, err)
			}
			s.fail(c, fmt.Errorf("save feedback: %w", err))
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{})
}

// parseFeedback decodes and validates a feedback body. Every problem is
// reported, each naming the item and field but never echoing a value.
func parseFeedback(body []byte, service string, now time.Time) ([]Feedback, error) {
	var req struct {
		Feedback *[]wireFeedback `json:"feedback"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return nil, badRequest("feedback body: " + typeErr.Field + " has the wrong JSON type")
		}
		return nil, badRequest("feedback body is not valid JSON")
	}
	if req.Feedback == nil {
		return nil, badRequest(`feedback body: "feedback" (an array) is required`)
	}
	if len(*req.Feedback) > maxFeedbackItems {
		return nil, badRequest(fmt.Sprintf("feedback: at most %d items per request", maxFeedbackItems))
	}
	var problems []string
	items := make([]Feedback, 0, len(*req.Feedback))
	for i, w := range *req.Feedback {
		f, p := validateFeedback(w, fmt.Sprintf("feedback[%d]", i))
		problems = append(problems, p...)
		f.Service = service
		f.ReceivedAt = now.UTC()
		items = append(items, f)
	}
	if len(problems) > 0 {
		if len(problems) > maxReportedProblems {
			problems = append(problems[:maxReportedProblems], fmt.Sprintf("and %d more", len(problems)-maxReportedProblems))
		}
		return nil, badRequest(strings.Join(problems, "; "))
	}
	return items, nil
}

// validateFeedback checks one item against CDS Hooks 2.0.1 §Feedback.
func validateFeedback(w wireFeedback, at string) (Feedback, []string) {
	var f Feedback
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, at+"."+fmt.Sprintf(format, args...)) }

	switch {
	case w.Card == nil || *w.Card == "":
		bad("card: required (the card's uuid)")
	case len(*w.Card) > maxFeedbackIDLength:
		bad("card: longer than %d characters", maxFeedbackIDLength)
	default:
		f.Card = *w.Card
	}

	if w.Outcome == nil {
		bad("outcome: required (accepted or overridden)")
	} else {
		f.Outcome = *w.Outcome
	}
	switch f.Outcome {
	case OutcomeAccepted:
		if len(w.AcceptedSuggestions) == 0 {
			bad("acceptedSuggestions: required when outcome is accepted")
		}
		if w.OverrideReason != nil {
			bad("overrideReason: only allowed when outcome is overridden")
		}
	case OutcomeOverridden:
		if len(w.AcceptedSuggestions) > 0 {
			bad("acceptedSuggestions: only allowed when outcome is accepted")
		}
	case "":
	default:
		bad("outcome: must be accepted or overridden")
	}
	for j, s := range w.AcceptedSuggestions {
		switch {
		case s.ID == nil || *s.ID == "":
			bad("acceptedSuggestions[%d].id: required (the suggestion's uuid)", j)
		case len(*s.ID) > maxFeedbackIDLength:
			bad("acceptedSuggestions[%d].id: longer than %d characters", j, maxFeedbackIDLength)
		default:
			f.AcceptedSuggestions = append(f.AcceptedSuggestions, *s.ID)
		}
	}

	if or := w.OverrideReason; or != nil && f.Outcome == OutcomeOverridden {
		if r := or.Reason; r != nil {
			if r.System == "" || r.Code == "" {
				bad("overrideReason.reason: a Coding needs both system and code")
			} else if len(r.System) > 256 || len(r.Code) > maxFeedbackIDLength {
				bad("overrideReason.reason: system or code too long")
			} else {
				f.ReasonSystem, f.ReasonCode = r.System, r.Code
			}
		}
		if or.UserComment != nil {
			f.UserComment = truncateRunes(*or.UserComment, maxUserCommentRunes)
		}
	}

	if w.OutcomeTimestamp == nil || *w.OutcomeTimestamp == "" {
		bad("outcomeTimestamp: required (RFC 3339, e.g. 2021-12-11T10:05:31Z)")
	} else if ts, err := time.Parse(time.RFC3339, *w.OutcomeTimestamp); err != nil {
		bad("outcomeTimestamp: not an RFC 3339 date-time (e.g. 2021-12-11T10:05:31Z)")
	} else {
		f.OutcomeTimestamp = ts.UTC()
	}
	return f, problems
}

func truncateRunes(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
