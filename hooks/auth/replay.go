package auth

import (
	"context"
	"errors"
	"sync"
	"time"
)

// MemoryReplayStore is the in-process ReplayStore: a map of jti keys to
// expiry times, swept as it fills. It holds at most max entries and
// refuses (fails closed) rather than forget an unexpired jti.
type MemoryReplayStore struct {
	mu        sync.Mutex
	seen      map[string]time.Time
	max       int
	now       func() time.Time
	lastSweep time.Time
}

// DefaultReplayCapacity bounds the in-memory replay store (a few hundred
// bytes per entry).
const DefaultReplayCapacity = 500_000

// errReplayStoreFull means the store cannot record a jti without dropping
// an unexpired one.
var errReplayStoreFull = errors.New("replay store full")

// NewMemoryReplayStore returns an empty store holding at most max entries
// (0 means DefaultReplayCapacity); now nil means time.Now.
func NewMemoryReplayStore(max int, now func() time.Time) *MemoryReplayStore {
	if max <= 0 {
		max = DefaultReplayCapacity
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplayStore{seen: map[string]time.Time{}, max: max, now: now}
}

// Remember implements ReplayStore.
func (s *MemoryReplayStore) Remember(_ context.Context, key string, expires time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if e, ok := s.seen[key]; ok && now.Before(e) {
		return false, nil
	}
	if len(s.seen) >= s.max || now.Sub(s.lastSweep) > time.Minute {
		for k, e := range s.seen {
			if !now.Before(e) {
				delete(s.seen, k)
			}
		}
		s.lastSweep = now
	}
	if len(s.seen) >= s.max {
		return false, errReplayStoreFull
	}
	s.seen[key] = expires
	return true, nil
}

// Len returns the number of remembered keys (for tests and metrics).
func (s *MemoryReplayStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}
