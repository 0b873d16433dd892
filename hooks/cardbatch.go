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
	interval time.Duration
	maxBatch int

	// Requests append to pending under mu and return. Handing cards to
	// the writer over a channel woke its goroutine for every request,
	// on the request's path, and cards sent just as Close drained the
	// channel stayed in it. The writer takes pending on its interval, or
	// when full signals that a batch is ready.
	mu      sync.Mutex
	pending []IssuedCard
	closed  bool // set by the writer's last flush: later cards are written directly
	full    chan struct{}

	stopped chan struct{}
	closing sync.Once
	done    chan struct{}
}

// maxPendingBatches bounds the cards waiting for the writer, in batches:
// beyond it the database is slower than the traffic and requests write
// their cards themselves, which slows them instead of growing memory.
const maxPendingBatches = 16

// NewCardBatcher starts a batcher writing to inner at least every interval
// (or as soon as maxBatch cards are queued).
func NewCardBatcher(inner CardLog, logger *zap.Logger, interval time.Duration, maxBatch int) *CardBatcher {
	if logger == nil {
		logger = zap.NewNop()
	}
	b := &CardBatcher{
		inner: inner, logger: logger, interval: interval, maxBatch: maxBatch,
		full: make(chan struct{}, 1), stopped: make(chan struct{}), done: make(chan struct{}),
	}
	go b.run()
	return b
}

// RecordCards queues cards for the next batch; after Close, or with a
// backlog (the database is slower than the traffic), it writes them
// synchronously.
func (b *CardBatcher) RecordCards(ctx context.Context, cards []IssuedCard) error {
	b.mu.Lock()
	if b.closed || len(b.pending) >= maxPendingBatches*b.maxBatch {
		b.mu.Unlock()
		return b.inner.RecordCards(ctx, cards)
	}
	b.pending = append(b.pending, cards...)
	ready := len(b.pending) >= b.maxBatch
	b.mu.Unlock()
	if ready {
		select {
		case b.full <- struct{}{}:
		default: // already signalled
		}
	}
	return nil
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

// take empties pending; last marks the batcher closed in the same step,
// so no card can be queued after the final flush.
func (b *CardBatcher) take(last bool) []IssuedCard {
	b.mu.Lock()
	defer b.mu.Unlock()
	batch := b.pending
	b.pending = nil
	b.closed = b.closed || last
	return batch
}

func (b *CardBatcher) run() {
	defer close(b.done)
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	write := func(batch []IssuedCard) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := b.inner.RecordCards(ctx, batch); err != nil {
			// Service id and count only: the log never holds patient data.
			b.logger.Error("card log: recording a batch of issued cards failed", zap.Int("cards", len(batch)), zap.Error(err))
		}
	}
	// The queue may hold many batches after a slow write; each goes in
	// its own transaction, so a slow or failing database costs at most
	// maxBatch cards per failure, not the whole backlog.
	flush := func(queued []IssuedCard) {
		for len(queued) > 0 {
			n := min(len(queued), b.maxBatch)
			write(queued[:n])
			queued = queued[n:]
		}
	}
	for {
		select {
		case <-b.full:
		case <-tick.C:
		case <-b.stopped:
			flush(b.take(true))
			return
		}
		flush(b.take(false))
	}
}
