package hooks

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// CardBatcher is a CardLog that records issued cards in the background, a
// batch per transaction, so a clinician's response never waits for a
// synced database commit (one fsync per request capped the service near
// 450 requests/s). It is safe because feedback is joined to cards when
// analytics are read, not when feedback is stored: feedback that arrives
// before its card is written is still tied to it. Nothing is dropped: when
// the queue is full the caller writes synchronously, and Close flushes what
// is queued. A crash can lose at most the cards of the last batch interval
// (they were sent; only their analytics record is lost).
type CardBatcher struct {
	inner    CardLog
	logger   *zap.Logger
	queue    chan []IssuedCard
	interval time.Duration
	maxBatch int
	stopped  chan struct{}
	closing  sync.Once
	done     chan struct{}
}

// NewCardBatcher starts a batcher writing to inner at least every interval
// (or as soon as maxBatch cards are queued).
func NewCardBatcher(inner CardLog, logger *zap.Logger, interval time.Duration, maxBatch int) *CardBatcher {
	if logger == nil {
		logger = zap.NewNop()
	}
	b := &CardBatcher{
		inner: inner, logger: logger, interval: interval, maxBatch: maxBatch,
		queue: make(chan []IssuedCard, 4096), stopped: make(chan struct{}), done: make(chan struct{}),
	}
	go b.run()
	return b
}

// RecordCards queues cards for the next batch; with a full queue (the
// database is slower than the traffic) it writes them synchronously.
func (b *CardBatcher) RecordCards(ctx context.Context, cards []IssuedCard) error {
	select {
	case <-b.stopped:
		return b.inner.RecordCards(ctx, cards)
	default:
	}
	select {
	case b.queue <- cards:
		return nil
	default:
		return b.inner.RecordCards(ctx, cards)
	}
}

// Close stops batching and writes everything queued; later calls to
// RecordCards write synchronously.
func (b *CardBatcher) Close(ctx context.Context) error {
	b.closing.Do(func() { close(b.stopped) })
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *CardBatcher) run() {
	defer close(b.done)
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	var batch []IssuedCard
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.inner.RecordCards(ctx, batch); err != nil {
			// Service id and count only: the log never holds patient data.
			b.logger.Error("card log: recording a batch of issued cards failed", zap.Int("cards", len(batch)), zap.Error(err))
		}
		batch = nil
	}
	for {
		select {
		case cards := <-b.queue:
			batch = append(batch, cards...)
			if len(batch) >= b.maxBatch {
				flush()
			}
		case <-tick.C:
			flush()
		case <-b.stopped:
			for {
				select {
				case cards := <-b.queue:
					batch = append(batch, cards...)
				default:
					flush()
					return
				}
			}
		}
	}
}
