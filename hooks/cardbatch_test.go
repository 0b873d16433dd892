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
