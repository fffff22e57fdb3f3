package escrow

import (
	"context"
	"math/big"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// The capture worker looks at every session of this operator each
// CaptureInterval (and shortly after commits, see kickCommitted) and finishes what is due,
// most urgent deadline first, several sessions at once (CaptureWorkers):
// openings whose outcome is unknown, closes (requested here, on another
// instance, or due because the session nears its expiry), captures past
// the threshold or near expiry, and sessions waiting to move to the shared
// store. No call blocks it for long: each job is bounded, and a job that
// cannot finish (an RPC down, a transaction pending) is retried on the
// next sweep.
type worker struct {
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}
	slots chan struct{}
	jobs  sync.WaitGroup

	busyMu sync.Mutex
	busy   map[[32]byte]bool

	nonceOnce sync.Once
	nonce     uint64 // the operator's pending nonce when this process started
	nonceOK   bool

	// committedKick: a wake-up after commits is scheduled (kickCommitted).
	committedKick atomic.Bool
}

// committedKickDelay is how long after a commit the capture worker looks
// at the sessions (once for all the commits of that time): a sweep reads the
// chain's head (and the shared store's totals), so one per commit would be
// one RPC per served request.
const committedKickDelay = 50 * time.Millisecond

func (w *worker) init(workers int) {
	w.wake, w.stop, w.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	w.slots = make(chan struct{}, workers)
	w.busy = map[[32]byte]bool{}
}

// kick asks the capture worker to look at the sessions now.
func (o *Operator) kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// kickCommitted wakes the capture worker committedKickDelay after a commit,
// once for every commit made meanwhile (a capture past its threshold
// starts then).
func (o *Operator) kickCommitted() {
	if o.committedKick.CompareAndSwap(false, true) {
		time.AfterFunc(committedKickDelay, func() {
			o.committedKick.Store(false)
			o.kick()
		})
	}
}

// Stop ends the capture worker and waits for its jobs (sessions stay in
// the ledger; an interrupted close or opening is finished on the next
// start).
func (o *Operator) Stop() {
	select {
	case <-o.stop:
	default:
		close(o.stop)
	}
	<-o.done
}

func (o *Operator) captureLoop() {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-o.stop; cancel() }()
	defer close(o.done)
	defer o.jobs.Wait()
	t := time.NewTicker(o.cfg.CaptureInterval)
	defer t.Stop()
	recovering := true
	for {
		o.sweep(ctx, recovering)
		recovering = false
		select {
		case <-o.stop:
			return
		case <-t.C:
		case <-o.wake:
		}
	}
}

// startNonce is the operator's pending nonce when this process started
// (read once): a capture broadcast before a crash has a nonce below it.
func (o *Operator) startNonce(ctx context.Context) uint64 {
	o.nonceOnce.Do(func() {
		n, err := o.cfg.Sender.Backend().PendingNonceAt(ctx, o.Address())
		o.nonce, o.nonceOK = n, err == nil
	})
	if !o.nonceOK {
		return 0
	}
	return o.nonce
}

// job is one piece of work on one session.
type job struct {
	s        *Session
	kind     string // "open", "close", "capture", "move"
	deadline time.Time
}

// sweep plans the due jobs and starts them in deadline order.
func (o *Operator) sweep(ctx context.Context, recovering bool) {
	o.startNonce(ctx)
	now := o.chainNow(ctx)
	sh := o.shared()
	o.mu.RLock()
	mine := make([]*Session, 0, len(o.sessions))
	var others []*Session // other operators' shared sessions this instance spent
	for _, s := range o.sessions {
		switch {
		case s.pi.Operator == o.Address():
			mine = append(mine, s)
		case s.shared && now.Before(s.ExpiresAt()):
			others = append(others, s)
		}
	}
	o.mu.RUnlock()
	remote := o.sharedStates(ctx, sh, append(append([]*Session{}, mine...), others...))
	for _, s := range others {
		if rs, ok := remote[s.ID]; ok && s.needsRearm(rs) {
			o.rearmLost(ctx, sh, s)
		}
	}
	var jobs []job
	totals := newTotals()
	for _, s := range mine {
		s.mu.Lock()
		st, shared, rec := s.status, s.shared, s.rec
		if rs, ok := remote[s.ID]; ok && rs.Committed != nil && rs.Committed.Cmp(s.committed) > 0 {
			s.committed = new(big.Int).Set(rs.Committed)
		}
		pending := new(big.Int).Sub(s.committed, s.captured)
		totals.add(st, s.pi.MaxAmount, s.committed, s.captured)
		s.mu.Unlock()
		exp := s.ExpiresAt()
		add := func(kind string) { jobs = append(jobs, job{s: s, kind: kind, deadline: exp}) }
		live := st == StatusActive || st == StatusClosing
		if rs, ok := remote[s.ID]; ok && shared && live && s.needsRearm(rs) {
			o.rearmLost(ctx, sh, s)
			continue
		}
		if lost := s.lostSince(); !lost.IsZero() && time.Since(lost) < 3*o.cfg.CaptureInterval {
			continue // other instances put their use back first
		}
		if live && pending.Sign() > 0 && !now.Add(o.cfg.AlertMargin).Before(exp) {
			totals.NearExpiry.Add(totals.NearExpiry, pending)
			o.log.Error("escrow: session near its authorizationExpiry with use not captured",
				zap.String("session", s.IDHex()), zap.String("uncaptured", pending.String()), zap.Time("expires", exp))
			o.cfg.Observer.NearExpiry(o.cfg.Network, s.IDHex(), pending, exp.Sub(now))
		}
		switch {
		case sh != nil && !shared && live:
			add("move")
		case st == StatusOpening:
			jobs = append(jobs, job{s: s, kind: "open", deadline: time.Unix(int64(s.pi.PreApprovalExpiry), 0)})
		case st == StatusClosing:
			add("close")
		case st == StatusActive && remote[s.ID].Status != "" && remote[s.ID].Status != StatusActive:
			add("close") // requested on another instance
		case st == StatusActive && !now.Add(o.cfg.CaptureMargin).Before(exp):
			add("close") // final: capture what was used, give the rest back
		case st == StatusActive && rec.Orphan && o.cfg.Now().Unix() >= rec.OrphanSince+int64(o.cfg.RecoveryWindow/time.Second):
			o.log.Warn("escrow: nobody recovered the token of a session opened without an answer; closing it",
				zap.String("session", s.IDHex()))
			add("close")
		case st == StatusActive && (rec.CaptureTarget != "" || recovering && pending.Sign() > 0 ||
			pending.Sign() > 0 && (pending.Cmp(o.cfg.CaptureThreshold) >= 0 || !now.Add(o.cfg.NearExpiry).Before(exp))):
			add("capture")
		}
	}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].deadline.Before(jobs[j].deadline) })
	for _, j := range jobs {
		if !o.launch(ctx, j) {
			break
		}
	}
	o.cfg.Observer.Sessions(o.cfg.Network, totals)
}

// sharedStates reads status and committed total of shared sessions in one
// round trip.
func (o *Operator) sharedStates(ctx context.Context, sh SharedSessions, sessions []*Session) map[[32]byte]SharedState {
	if sh == nil {
		return nil
	}
	var ids [][32]byte
	for _, s := range sessions {
		s.mu.Lock()
		if s.shared && (s.status == StatusActive || s.status == StatusClosing) {
			ids = append(ids, s.ID)
		}
		s.mu.Unlock()
	}
	if len(ids) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	states, err := sh.States(ctx, ids)
	if err != nil {
		o.log.Warn("escrow: reading session states from the shared store failed", zap.Error(err))
		return nil
	}
	out := make(map[[32]byte]SharedState, len(ids))
	for i, id := range ids {
		out[id] = states[i]
	}
	return out
}

// rearmLost puts a session the shared store lost back from this
// instance's ledger: as closing (no new use: its committed total is no
// longer known for sure), with the debits this instance committed; every
// instance that spent it does the same on its next sweep, and the
// session's operator closes it CaptureInterval × 3 later, capturing what
// they put back. Use committed by an instance that does not come back
// before the close is not captured (served unpaid, never overcharged).
func (o *Operator) rearmLost(ctx context.Context, sh SharedSessions, s *Session) {
	debits, err := o.ledger.Debits(s.ID)
	if err != nil {
		o.log.Error("escrow: reading a lost session's debits failed", zap.String("session", s.IDHex()), zap.Error(err))
		return
	}
	rec := *s.record()
	rec.Shared = true
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	gen, recreated, err := sh.Rearm(ctx, s.ID, &rec, StatusClosing, debits)
	if err != nil {
		o.log.Warn("escrow: putting a lost session back into the shared store failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		return
	}
	total := new(big.Int)
	for _, d := range debits {
		total.Add(total, d)
	}
	s.mu.Lock()
	if s.rearmedGen != gen {
		s.lostAt = time.Now()
	}
	s.rearmedGen = gen
	s.mu.Unlock()
	o.log.Error("escrow: the shared store lost a session; put back as closing with the use this instance committed",
		zap.String("session", s.IDHex()), zap.Bool("recreated", recreated), zap.Int("requests", len(debits)), zap.String("committed_here", total.String()))
}

// needsRearm: the store lost the session (gone, or put back in a
// generation this process has not re-armed for yet).
func (s *Session) needsRearm(rs SharedState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return rs.Status == "" || rs.Generation != "" && rs.Generation != s.rearmedGen
}

// launch starts j when its session is not already being worked on, once a
// worker slot is free; false when the operator stops.
func (o *Operator) launch(ctx context.Context, j job) bool {
	o.busyMu.Lock()
	if o.busy[j.s.ID] {
		o.busyMu.Unlock()
		return true
	}
	o.busy[j.s.ID] = true
	o.busyMu.Unlock()
	select {
	case o.slots <- struct{}{}:
	case <-ctx.Done():
		o.unbusy(j.s)
		return false
	}
	o.jobs.Add(1)
	go func() {
		defer o.jobs.Done()
		defer func() { <-o.slots }()
		defer o.unbusy(j.s)
		o.run(ctx, j)
	}()
	return true
}

func (o *Operator) unbusy(s *Session) {
	o.busyMu.Lock()
	delete(o.busy, s.ID)
	o.busyMu.Unlock()
}

// run does one job, bounded in time.
func (o *Operator) run(ctx context.Context, j job) {
	s := j.s
	switch j.kind {
	case "move":
		if err := o.moveToShared(ctx, o.shared(), s); err != nil {
			o.log.Warn("escrow: moving a session to the shared store failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		}
	case "open":
		ctx, cancel := context.WithTimeout(ctx, 2*o.cfg.ReceiptTimeout)
		defer cancel()
		o.reconcileOpening(ctx, s)
	case "close":
		ctx, cancel := context.WithTimeout(ctx, o.closeTimeout())
		defer cancel()
		if _, err := o.closeSession(ctx, s); err != nil {
			o.log.Error("escrow: closing a session failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		}
	case "capture":
		ctx, cancel := context.WithTimeout(ctx, 2*o.cfg.ReceiptTimeout+30*time.Second)
		defer cancel()
		s.work.Lock()
		defer s.work.Unlock()
		if s.Status() != StatusActive {
			return
		}
		target, err := o.committedTotal(ctx, s)
		if err == nil {
			_, err = o.captureTo(ctx, s, target)
		}
		if err != nil {
			o.log.Warn("escrow: capture failed; will retry", zap.String("session", s.IDHex()), zap.Error(err))
		}
	}
}

// chainNow is the latest block's time (captures race the contract's
// clock, not ours), or the local clock when the chain cannot be read.
func (o *Operator) chainNow(ctx context.Context) time.Time {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	header, err := o.cfg.Sender.Backend().HeaderByNumber(ctx, nil)
	if err != nil {
		return o.cfg.Now()
	}
	return time.Unix(int64(header.Time), 0)
}
