package hooks

import (
	"context"
	"sync"
	"testing"
	"time"
)

// recordingLog is an in-memory CardLog that counts its transactions.
type recordingLog struct {
	mu    sync.Mutex
	calls int
	cards []IssuedCard
}

func (l *recordingLog) RecordCards(_ context.Context, cards []IssuedCard) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	l.cards = append(l.cards, cards...)
	return nil
}

func (l *recordingLog) snapshot() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls, len(l.cards)
}

// Many requests' cards become few transactions, and Close writes every
// queued card: nothing a clinician was shown is lost on shutdown.
func TestCardBatcherBatchesAndFlushesOnClose(t *testing.T) {
	inner := &recordingLog{}
	b := NewCardBatcher(inner, nil, time.Hour, 1000) // only Close flushes
	for i := 0; i < 200; i++ {
		if err := b.RecordCards(context.Background(), []IssuedCard{{UUID: "c", Topic: "t"}, {UUID: "d", Topic: "t"}}); err != nil {
			t.Fatal(err)
		}
	}
	if calls, _ := inner.snapshot(); calls != 0 {
		t.Errorf("%d writes before the batch was due, want 0", calls)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	calls, n := inner.snapshot()
	if n != 400 || calls != 1 {
		t.Errorf("after Close: %d cards in %d writes, want 400 in 1", n, calls)
	}
	// After Close, cards are written synchronously rather than lost.
	_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "late"}})
	if _, n := inner.snapshot(); n != 401 {
		t.Errorf("a card recorded after Close was lost (%d cards)", n)
	}
}

func TestCardBatcherWritesOnTheInterval(t *testing.T) {
	inner := &recordingLog{}
	b := NewCardBatcher(inner, nil, 10*time.Millisecond, 1000)
	defer b.Close(context.Background())
	_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "c"}})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, n := inner.snapshot(); n == 1 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Error("a queued card was not written within the interval")
}

// A full batch is written without waiting for the interval.
func TestCardBatcherWritesAFullBatchAtOnce(t *testing.T) {
	inner := &recordingLog{}
	b := NewCardBatcher(inner, nil, time.Hour, 10)
	defer b.Close(context.Background())
	for range 5 {
		_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "a"}, {UUID: "b"}})
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, n := inner.snapshot(); n == 10 {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Error("a full batch waited for the interval")
}

// blockingLog is a CardLog whose writes wait until release is closed,
// except the synchronous ones a request makes when the writer is behind.
type blockingLog struct {
	recordingLog
	release chan struct{}
	started chan struct{}
	once    sync.Once
	largest int // the most cards in one write
}

func (l *blockingLog) RecordCards(ctx context.Context, cards []IssuedCard) error {
	if len(cards) > 1 { // the writer's batches; requests below send one card
		l.once.Do(func() { close(l.started) })
		<-l.release
	}
	l.mu.Lock()
	l.largest = max(l.largest, len(cards))
	l.mu.Unlock()
	return l.recordingLog.RecordCards(ctx, cards)
}

// When the database falls behind, requests write their own cards instead
// of queueing without bound, nothing is lost, and the backlog is written
// a batch per transaction.
func TestCardBatcherWritesSynchronouslyWhenBehind(t *testing.T) {
	inner := &blockingLog{release: make(chan struct{}), started: make(chan struct{})}
	const maxBatch = 4
	b := NewCardBatcher(inner, nil, time.Hour, maxBatch)
	// A first full batch occupies the writer.
	for range maxBatch {
		_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "w"}})
	}
	<-inner.started
	queued := maxPendingBatches * maxBatch
	for range queued {
		_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "q"}})
	}
	if _, n := inner.snapshot(); n != 0 {
		t.Fatalf("%d cards written while the queue had room", n)
	}
	_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "sync"}})
	if _, n := inner.snapshot(); n != 1 {
		t.Errorf("with a full queue a request's card was not written by the request (%d written)", n)
	}
	close(inner.release)
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, n := inner.snapshot(); n != maxBatch+queued+1 {
		t.Errorf("%d cards written in all, want %d", n, maxBatch+queued+1)
	}
	// The backlog went in transactions of at most maxBatch cards: a
	// failing write loses one batch, not the whole backlog.
	if inner.largest > maxBatch {
		t.Errorf("a write of %d cards, want at most %d", inner.largest, maxBatch)
	}
}

// Cards recorded while the batcher closes are each written exactly once.
func TestCardBatcherLosesNothingWhileClosing(t *testing.T) {
	inner := &recordingLog{}
	b := NewCardBatcher(inner, nil, time.Millisecond, 7)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 500 {
				_ = b.RecordCards(context.Background(), []IssuedCard{{UUID: "x"}})
			}
		})
	}
	time.Sleep(2 * time.Millisecond)
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if _, n := inner.snapshot(); n != 2000 {
		t.Errorf("%d cards written, want 2000", n)
	}
}
