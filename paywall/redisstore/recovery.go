package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/caddy-x402/x402/paywall"
	"go.uber.org/zap"
)

// Recovery after a store loss is collective. The instance that notices
// first (a decision script answered 'lost', or its heartbeat did) must not
// resume before the others have put their spent payments back, so:
//
//  1. it starts a new generation of the part, in recovery, with a join
//     window and a deadline, and becomes a member; the instances it saw
//     alive at its last heartbeat become members too;
//  2. every instance heartbeats each part every Heartbeat, so within about
//     a second each one sees the new generation (or its own claim answers
//     'lost'), joins it, re-arms from its journal and its requests in
//     flight (paywall.Engine.RearmSet), then acknowledges;
//  3. claims in the part are refused by everyone (503 + Retry-After) until
//     the join window has passed and every member has acknowledged, or
//     the deadline has passed (an instance that died meanwhile is not
//     waited for longer). An instance that joins late re-arms all the same
//     and claims only once it has.
//
// An instance that is down during the loss puts its payments back when it
// starts (it joins with a re-arm, as every starting instance does), but not
// before: its spent payments are guarded meanwhile only by the chain (a
// settlement that finds its authorization used by another request is a
// replay incident, never a success).

// RecoveryOptions tune the recovery. Zero values pick the defaults.
type RecoveryOptions struct {
	// Heartbeat is how often each instance checks every part's generation
	// and says it is alive. Default: 1 s.
	Heartbeat time.Duration
	// Join is how long a new generation waits for instances to join
	// before it may end: at least a few heartbeats. Default: 3 × Heartbeat.
	Join time.Duration
	// Timeout bounds a recovery: past it claims resume even if a member has
	// not acknowledged (it died, or its re-arm takes longer). Default: 15 s.
	Timeout time.Duration
}

func (o RecoveryOptions) withDefaults() RecoveryOptions {
	if o.Heartbeat <= 0 {
		o.Heartbeat = time.Second
	}
	if o.Join <= 0 {
		o.Join = 3 * o.Heartbeat
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Timeout < o.Join {
		o.Timeout = o.Join
	}
	return o
}

// lease is how recent a heartbeat must be for its instance to count as
// alive.
func (o RecoveryOptions) lease() time.Duration { return 3 * o.Heartbeat }

// Start joins the store's current generation in every part, putting back
// what source lists (the payments this instance spent or holds), and then
// keeps heartbeating in the background until Close. The first pass is
// bounded by ctx; when Redis cannot be reached yet, Start returns its error
// and the background loop keeps trying (claims are refused meanwhile).
func (s *Store) Start(ctx context.Context, source func() (*paywall.RearmSet, error)) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("redis store: started twice")
	}
	s.source = source
	err := s.tick(ctx)
	go s.loop()
	return err
}

// Ready reports whether claims are accepted in every part now (this
// instance has joined and re-armed, and no recovery is in progress).
func (s *Store) Ready() bool {
	for p := range Partitions {
		if s.parts[p].gen.Load() == nil || s.parts[p].recovering.Load() {
			return false
		}
	}
	return true
}

func (s *Store) loop() {
	defer close(s.done)
	t := time.NewTicker(s.rec.Heartbeat)
	defer t.Stop()
	// Close ends a pass in progress too.
	base, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { <-s.stop; stop() }()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		case <-s.kick:
		}
		ctx, cancel := context.WithTimeout(base, s.rec.Timeout+10*time.Second)
		_ = s.tick(ctx)
		cancel()
	}
}

// wake asks the loop for a pass now (a decision found the generation lost).
func (s *Store) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// tick heartbeats every part and recovers the parts whose generation this
// instance does not hold.
func (s *Store) tick(ctx context.Context) error {
	var lost []int
	peers := map[string]bool{}
	recovering := 0
	policy := ""
	leaseMs := s.rec.lease().Milliseconds()
	for p := range Partitions {
		part := &s.parts[p]
		gen := part.gen.Load()
		g := ""
		if gen != nil {
			g = *gen
		}
		res, err := heartbeatScript.Run(ctx, s.rdb, []string{s.marker(p)}, s.inst, g, leaseMs).StringSlice()
		if err != nil {
			s.setDown(err)
			s.obs.StoreRecovering(s.refusing())
			return fmt.Errorf("redis store: heartbeat: %w", err)
		}
		for _, peer := range res[1:] {
			peers[peer] = true
		}
		switch res[0] {
		case "ok":
			part.recovering.Store(false)
		case "recovering":
			part.recovering.Store(true)
			recovering++
		default:
			if gen != nil {
				part.gen.CompareAndSwap(gen, nil)
			}
			if pol, ok := strings.CutPrefix(res[0], "evicting:"); ok {
				policy = pol
			}
			lost = append(lost, p)
		}
	}
	s.setDown(nil)
	if len(peers) > 0 || len(lost) == 0 {
		// After a flush the markers are gone and list nobody: keep the
		// peers of the last heartbeat, the ones a recovery waits for.
		list := make([]string, 0, len(peers))
		for p := range peers {
			list = append(list, p)
		}
		sort.Strings(list)
		s.mu.Lock()
		s.peers = list
		s.mu.Unlock()
	}
	var err error
	switch {
	case policy != "":
		err = &evictingError{policy: policy}
	case len(lost) > 0:
		err = s.recover(ctx, lost)
	}
	var ee *evictingError
	if errors.As(err, &ee) {
		s.setEvicting(ee.policy)
	} else {
		s.setEvicting("")
	}
	s.obs.StoreRecovering(s.refusing())
	return err
}

// evictingError: the server may evict keys (its maxmemory-policy), so no
// generation is joined and every claim is refused.
type evictingError struct{ policy string }

func (e *evictingError) Error() string {
	return fmt.Sprintf("redis store: redis runs with maxmemory-policy %s and a maxmemory: it may evict claims before they expire (a payment would buy a second response); paid requests get 503 until it runs with maxmemory-policy noeviction", e.policy)
}

// setEvicting records whether the server may evict keys, logging each
// change once.
func (s *Store) setEvicting(policy string) {
	var old *evictingError
	if policy != "" {
		old = s.evicting.Swap(&evictingError{policy: policy})
	} else {
		old = s.evicting.Swap(nil)
	}
	switch {
	case policy != "" && (old == nil || old.policy != policy):
		s.log.Error("x402 store: redis may evict keys before they expire; claims are refused (503) until it runs with maxmemory-policy noeviction, then the instances re-arm their payments",
			zap.String("maxmemory_policy", policy))
	case policy == "" && old != nil:
		s.log.Info("x402 store: redis no longer evicts keys; claims resume once the instances have re-armed their payments")
	}
}

// refusing counts the parts where claims are refused now.
func (s *Store) refusing() int {
	n := 0
	for p := range Partitions {
		if s.parts[p].gen.Load() == nil || s.parts[p].recovering.Load() {
			n++
		}
	}
	return n
}

func (s *Store) setDown(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err != nil && !s.down:
		s.down = true
		s.log.Warn("x402 store redis unreachable; paid requests get 503 until it answers", zap.Error(err))
	case err == nil && s.down:
		s.down = false
		s.log.Info("x402 store redis reachable again")
	}
}

// recover joins the current generation of the lost parts (starting new
// ones where needed), re-arms them and acknowledges.
func (s *Store) recover(ctx context.Context, lost []int) error {
	s.mu.Lock()
	peers := append([]string(nil), s.peers...)
	s.mu.Unlock()
	gens := make(map[int]string, len(lost))
	var created []int
	for _, p := range lost {
		var cand [8]byte
		_, _ = rand.Read(cand[:])
		args := []any{s.inst, hex.EncodeToString(cand[:]), s.rec.Join.Milliseconds(), s.rec.Timeout.Milliseconds()}
		for _, peer := range peers {
			args = append(args, peer)
		}
		res, err := joinScript.Run(ctx, s.rdb, []string{s.marker(p)}, args...).Slice()
		if err != nil || len(res) != 3 {
			return fmt.Errorf("redis store: joining the generation of part %d: %v %w", p, res, err)
		}
		if st, _ := res[1].(string); strings.HasPrefix(st, "evicting:") {
			return &evictingError{policy: strings.TrimPrefix(st, "evicting:")}
		}
		id, _ := res[0].(string)
		gens[p] = id
		s.parts[p].recovering.Store(res[1] != "ok")
		last := s.parts[p].last.Load()
		switch n, _ := res[2].(int64); {
		case n == 1:
			created = append(created, p)
			s.obs.StoreGeneration(true)
		case last != nil && *last != id:
			s.obs.StoreGeneration(false)
		}
	}
	if len(created) > 0 {
		s.log.Warn("x402 store: redis lost data or changed server (flush, restart, failover); instances re-arm their payments and paid requests get 503 until they have",
			zap.Ints("parts", created), zap.Int("peers_waited_for", len(peers)), zap.Duration("deadline", s.rec.Timeout))
	}
	set, err := s.source()
	if err != nil {
		return fmt.Errorf("redis store: listing payments to re-arm: %w", err)
	}
	claims, exposures := 0, 0
	for _, p := range lost {
		c, x, err := s.rearm(ctx, p, gens[p], set)
		claims, exposures = claims+c, exposures+x
		if err != nil {
			return err
		}
	}
	s.obs.StoreRearmed(claims, exposures)
	if claims+exposures > 0 || len(created) > 0 {
		s.log.Info("x402 store: payments re-armed", zap.Int("parts", len(lost)), zap.Int("claims", claims), zap.Int("exposures", exposures))
	}
	return nil
}

// rearmBatch is how many claims one script call puts back.
const rearmBatch = 256

// rearm puts this instance's claims and exposures of part p back into
// generation gen and acknowledges; on success the part accepts claims
// (once its recovery ends).
func (s *Store) rearm(ctx context.Context, p int, gen string, set *paywall.RearmSet) (claims, exposures int, err error) {
	keys := []string{s.marker(p)}
	args := []any{gen}
	flush := func() error {
		if len(keys) == 1 {
			return nil
		}
		n, err := rearmClaimsScript.Run(ctx, s.rdb, keys, args...).Int()
		if err != nil {
			return fmt.Errorf("redis store: re-arming claims: %w", err)
		}
		if n < 0 {
			return errGenerationMoved
		}
		claims += n
		keys, args = keys[:1], args[:1]
		return nil
	}
	now := s.now()
	for _, c := range set.Claims {
		if partOf(c.Key) != p || !c.Until.After(now) {
			continue
		}
		keys = append(keys, s.Key(c.Key))
		args = append(args, c.Until.UnixMilli())
		if len(keys) > rearmBatch {
			if err := flush(); err != nil {
				return claims, exposures, err
			}
		}
	}
	if err := flush(); err != nil {
		return claims, exposures, err
	}
	byPayer := map[paywall.ExposureKey][]any{}
	for _, x := range set.Exposures {
		if fundsPart(x.Key) != p || !x.Until.After(now) {
			continue
		}
		byPayer[x.Key] = append(byPayer[x.Key], hex.EncodeToString(x.ID[:]), x.Amount.String(), x.Until.UnixMilli())
	}
	for k, xs := range byPayer {
		n, err := rearmFundsScript.Run(ctx, s.rdb, s.fundsKeys(k), append([]any{gen}, xs...)...).Int()
		if err != nil {
			return claims, exposures, fmt.Errorf("redis store: re-arming funds exposure: %w", err)
		}
		if n < 0 {
			return claims, exposures, errGenerationMoved
		}
		exposures += n
	}
	st, err := ackScript.Run(ctx, s.rdb, []string{s.marker(p)}, s.inst, gen).Text()
	if err != nil {
		return claims, exposures, fmt.Errorf("redis store: acknowledging the re-arm: %w", err)
	}
	if st == "lost" {
		return claims, exposures, errGenerationMoved
	}
	s.parts[p].recovering.Store(st != "ok")
	s.parts[p].last.Store(&gen)
	s.parts[p].gen.Store(&gen)
	return claims, exposures, nil
}

// errGenerationMoved: the store changed generation again during a re-arm;
// the next heartbeat starts over.
var errGenerationMoved = errors.New("redis store: the generation changed during the re-arm; starting over")
