package hooks

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// IssuedCard is what the service remembers about a card it returned, so
// that feedback (which names only the card uuid) can be tied to a topic.
// It deliberately holds no patient data: no patient id, no hookInstance,
// no card text.
type IssuedCard struct {
	// UUID is the card's uuid, echoed by the EHR in feedback.
	UUID string
	// Service is the CDS service id that issued the card.
	Service string
	// Topic is the card's source.topic code (README "Card topics").
	Topic string
	// Indicator is info, warning or critical.
	Indicator string
	// SuggestionUUIDs are the uuids of the card's suggestions, in order.
	SuggestionUUIDs []string
	// IssuedAt is when the response was built.
	IssuedAt time.Time
}

// CardLog remembers issued cards. A failure to record must never fail the
// clinician's response: the handler logs it and counts it.
type CardLog interface {
	RecordCards(ctx context.Context, cards []IssuedCard) error
}

// cardLogTimeout bounds how long a clinician's response may wait for the
// card log. Recording happens before the response is sent so that the
// EHR's feedback can never arrive before its card is known.
const cardLogTimeout = 2 * time.Second

// recordCards writes the issued cards to the card log, if one is
// configured. Errors are logged (without patient data: only counts and
// the service id) and counted; the response goes out regardless.
func (s *server) recordCards(ctx context.Context, service string, issuedAt time.Time, cards []Card) {
	if s.cfg.CardLog == nil || len(cards) == 0 {
		return
	}
	issued := make([]IssuedCard, 0, len(cards))
	for _, c := range cards {
		ic := IssuedCard{UUID: c.UUID, Service: service, Indicator: c.Indicator, IssuedAt: issuedAt}
		if c.Source.Topic != nil {
			ic.Topic = c.Source.Topic.Code
		}
		for _, sg := range c.Suggestions {
			ic.SuggestionUUIDs = append(ic.SuggestionUUIDs, sg.UUID)
		}
		issued = append(issued, ic)
	}
	// A client that hangs up must not lose the record of cards it may
	// already have received, so the request's cancellation is dropped.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cardLogTimeout)
	defer cancel()
	if err := s.cfg.CardLog.RecordCards(ctx, issued); err != nil {
		s.cfg.CardLogFailures.Add(1)
		s.cfg.Logger.Error("card log: recording issued cards failed; the response was sent anyway",
			zap.String("service", service), zap.Int("cards", len(issued)), zap.Error(err))
	}
}
