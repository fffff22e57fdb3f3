package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caddy-x402/x402/paywall"
	"github.com/redis/go-redis/v9"
)

// Claim implements paywall.ReplayGuard: in one script, the generation
// check and SET NX PXAT until. A claim whose deadline already passed holds
// nothing (the authorization can no longer be settled), as in
// paywall.MemoryGuard.
func (s *Store) Claim(ctx context.Context, key [32]byte, until time.Time) error {
	if !until.After(s.now()) {
		return nil
	}
	p := partOf(key)
	part := &s.parts[p]
	gen := part.gen.Load()
	if gen == nil {
		return s.noGeneration()
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := claimScript.Run(ctx, s.rdb, []string{s.markers[p], s.Key(key)}, *gen, until.UnixMilli()).Text()
	if err != nil {
		if strings.HasPrefix(err.Error(), "OOM ") {
			return fmt.Errorf("%w: redis is out of memory: %v", paywall.ErrGuardFull, err)
		}
		return fmt.Errorf("redis store: claiming a payment: %w", err)
	}
	return s.generationAnswer(part, gen, res, paywall.ErrReplay)
}

// generationAnswer turns a decision script's answer into an error: nil for
// ok, onRefused for the script's own refusal, ErrStoreRecovering when the
// generation is recovering or lost (then this instance leaves it and the
// recovery loop is woken).
func (s *Store) generationAnswer(part *partition, gen *string, res string, onRefused error) error {
	switch res {
	case "ok":
		return nil
	case "recovering":
		part.recovering.Store(true)
		return paywall.ErrStoreRecovering
	case "lost":
		part.gen.CompareAndSwap(gen, nil)
		s.wake()
		return paywall.ErrStoreRecovering
	case "replay", "insufficient":
		return onRefused
	}
	return fmt.Errorf("redis store: unexpected answer %q", res)
}

// Release implements paywall.ReplayGuard. Only the claimant releases (its
// upstream failed and nothing was charged), so a plain DEL is enough.
func (s *Store) Release(ctx context.Context, key [32]byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := releaseClaimScript.Run(ctx, s.rdb, []string{s.Key(key)}).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("redis store: releasing a payment: %w", err)
	}
	return nil
}

// noGeneration is the answer to a decision in a part this instance holds
// no generation of: Redis may evict keys (refused until it runs with
// noeviction), or a recovery is under way (the loop is woken to join it).
func (s *Store) noGeneration() error {
	if e := s.evicting.Load(); e != nil {
		return e
	}
	s.wake()
	return paywall.ErrStoreRecovering
}
