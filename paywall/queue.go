package paywall

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

// ErrQueueFull means the settlement queue has no room; the paywall answers
// 503 with Retry-After before serving, instead of serving a payment it could
// not settle.
var ErrQueueFull = errors.New("settlement queue is full")

// QueueConfig tunes a SettlementQueue. Zero values pick the defaults.
type QueueConfig struct {
	// Capacity is the most settlements reserved or waiting at once.
	// Default: 10000.
	Capacity int
	// Workers is the number of settlements run concurrently. Default: 8.
	Workers int
	// SettleTimeout bounds one settlement attempt. Default: 90 s.
	SettleTimeout time.Duration
	// MaxBackoff caps the wait between retries of a failed attempt.
	// Default: 10 s (a chain that comes back is used within seconds).
	MaxBackoff time.Duration
	// Logger; default: none.
	Logger *zap.Logger
	// OnResult is called after each finished settlement (success or final
	// failure), e.g. for metrics.
	OnResult func(job *Job, resp facilitator.SettleResponse, err error)
	// Journal, when set, records each job's final outcome.
	Journal Journal
}

// Job is one settlement waiting in the queue.
type Job struct {
	Claim Claim
	// ID is the journal entry of the claim ("" when not journaled).
	ID      string
	Route   string
	Due     time.Time
	Attempt int
	// Queued is when the job was first enqueued (retries keep it).
	Queued time.Time
	index  int
	// cause is why the last attempt failed (for the logs).
	cause string
}

// jobFields describe a job in log lines: route, scheme, payer and amount
// (in token and units when the claim knows its asset).
func jobFields(job *Job) []zap.Field {
	amount := ""
	if a, ok := job.Claim.(interface{ AmountText() string }); ok {
		amount = a.AmountText()
	}
	return []zap.Field{zap.String("route", job.Route), zap.String("scheme", job.Claim.Scheme()),
		zap.String("payer", job.Claim.Payer()), zap.String("amount", amount)}
}

// settleCause says why a settlement attempt failed: the error, else the x402
// code and its message.
func settleCause(resp facilitator.SettleResponse, err error) string {
	switch {
	case err != nil && resp.ErrorReason != "":
		return resp.ErrorReason + ": " + err.Error()
	case err != nil:
		return err.Error()
	case resp.ErrorMessage != "":
		return resp.ErrorReason + ": " + resp.ErrorMessage
	}
	return resp.ErrorReason
}

// expired reports an x402 code that says the authorization's time ran out.
func expired(code string) bool {
	return code == facilitator.CodeExactValidBefore || code == facilitator.CodeEscrowWindow
}

// SettlementQueue settles claims after a delay (settle mode "after"),
// independently of the request that created them: a client that disconnects
// after being served cannot cancel its settlement, and a config reload does
// not drop it (the queue belongs to the shared engine, not to a handler).
// Failed attempts are retried with capped exponential backoff until the
// claim's deadline.
type SettlementQueue struct {
	cfg QueueConfig
	log *zap.Logger

	mu       sync.Mutex
	jobs     jobHeap
	reserved int // slots taken by requests in flight
	running  int
	closed   bool
	wake     chan struct{}
	closing  chan struct{}
	idle     *sync.Cond
	stopped  chan struct{}
	draining bool
}

// NewSettlementQueue starts a queue and its workers.
func NewSettlementQueue(cfg QueueConfig) *SettlementQueue {
	if cfg.Capacity <= 0 {
		cfg.Capacity = 10000
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.SettleTimeout <= 0 {
		cfg.SettleTimeout = 90 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	q := &SettlementQueue{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), closing: make(chan struct{}), stopped: make(chan struct{})}
	q.idle = sync.NewCond(&q.mu)
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); q.work() }()
	}
	go func() { wg.Wait(); close(q.stopped) }()
	return q
}

// Reserve takes a slot for a payment about to be served; the slot becomes a
// job with Enqueue or is given back with Unreserve.
func (q *SettlementQueue) Reserve() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.reserved+len(q.jobs)+q.running >= q.cfg.Capacity {
		return ErrQueueFull
	}
	q.reserved++
	return nil
}

// Unreserve gives back a slot taken with Reserve.
func (q *SettlementQueue) Unreserve() {
	q.mu.Lock()
	q.reserved--
	q.idle.Broadcast()
	q.mu.Unlock()
}

// Enqueue turns a reserved slot into a job due after delay. It never fails:
// the slot was reserved, and a closing queue still drains what it holds.
// id names the claim's journal entry ("" when not journaled).
func (q *SettlementQueue) Enqueue(c Claim, id, route string, delay time.Duration) {
	q.mu.Lock()
	q.reserved--
	now := time.Now()
	heap.Push(&q.jobs, &Job{Claim: c, ID: id, Route: route, Due: now.Add(delay), Queued: now})
	q.idle.Broadcast()
	q.mu.Unlock()
	q.signal()
}

// Reserved is the number of slots taken by requests in flight (Reserve
// not yet followed by Enqueue or Unreserve).
func (q *SettlementQueue) Reserved() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.reserved
}

// Len is the number of jobs waiting or running.
func (q *SettlementQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs) + q.running
}

// OldestAge is how long the oldest unsettled job has been in the queue
// (waiting, or back after failed attempts); 0 when none waits. A job being
// attempted right now is not counted until it comes back.
func (q *SettlementQueue) OldestAge() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	var oldest time.Time
	for _, j := range q.jobs {
		if oldest.IsZero() || j.Queued.Before(oldest) {
			oldest = j.Queued
		}
	}
	if oldest.IsZero() {
		return 0
	}
	return time.Since(oldest)
}

func (q *SettlementQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting reservations, settles every job at once (ignoring
// remaining delays) and waits until they are done or ctx ends. It returns
// the jobs that were still unsettled when ctx ended.
func (q *SettlementQueue) Close(ctx context.Context) []*Job {
	q.mu.Lock()
	if !q.closed {
		q.closed, q.draining = true, true
		close(q.closing)
	}
	for _, j := range q.jobs {
		j.Due = time.Time{}
	}
	heap.Init(&q.jobs)
	q.idle.Broadcast()
	q.mu.Unlock()
	select {
	case <-q.stopped:
		return nil
	case <-ctx.Done():
		q.mu.Lock()
		defer q.mu.Unlock()
		left := append([]*Job(nil), q.jobs...)
		q.jobs = nil
		return left
	}
}

func (q *SettlementQueue) work() {
	for {
		q.mu.Lock()
		var job *Job
		wait := time.Duration(-1)
		if len(q.jobs) > 0 {
			if d := time.Until(q.jobs[0].Due); d <= 0 {
				job = heap.Pop(&q.jobs).(*Job)
				q.running++
			} else {
				wait = d
			}
		}
		closed := q.closed
		if job == nil && closed && len(q.jobs) == 0 {
			// Draining: wait for requests still in flight, whose slots
			// become jobs or are given back.
			for q.reserved > 0 && len(q.jobs) == 0 {
				q.idle.Wait()
			}
			empty := len(q.jobs) == 0
			q.mu.Unlock()
			if empty {
				return
			}
			continue
		}
		q.mu.Unlock()
		if job != nil {
			q.run(job)
			continue
		}
		if closed {
			time.Sleep(min(wait, 5*time.Millisecond))
			continue
		}
		if wait < 0 {
			wait = time.Hour
		}
		t := time.NewTimer(wait)
		select {
		case <-q.wake:
		case <-t.C:
		case <-q.closing:
		}
		t.Stop()
	}
}

func (q *SettlementQueue) run(job *Job) {
	ctx, cancel := context.WithTimeout(context.Background(), q.cfg.SettleTimeout)
	resp, err := job.Claim.Settle(ctx)
	cancel()
	job.Attempt++
	cause := settleCause(resp, err)
	retry := err != nil || resp.ErrorReason == facilitator.CodeSettlementPending
	if retry && time.Now().Before(job.Claim.Deadline().Add(time.Minute)) {
		backoff := time.Second << min(job.Attempt-1, 10)
		if backoff > q.cfg.MaxBackoff {
			backoff = q.cfg.MaxBackoff
		}
		// One warning per job and cause: a long outage must not log every
		// retry of every queued payment.
		level := zap.DebugLevel
		if job.Attempt == 1 || cause != job.cause {
			level = zap.WarnLevel
		}
		if ce := q.log.Check(level, "x402 settlement failed; retrying"); ce != nil {
			ce.Write(append(jobFields(job), zap.Int("attempt", job.Attempt), zap.Duration("backoff", backoff), zap.String("cause", cause))...)
		}
		job.cause = cause
		q.mu.Lock()
		q.running--
		job.Due = time.Now().Add(backoff)
		if q.draining {
			job.Due = time.Now().Add(min(backoff, 200*time.Millisecond))
		}
		heap.Push(&q.jobs, job)
		q.idle.Broadcast()
		q.mu.Unlock()
		q.signal()
		return
	}
	switch {
	case err == nil && resp.Success && job.Attempt > 1:
		q.log.Info("x402 settlement succeeded after retries", append(jobFields(job),
			zap.Int("attempts", job.Attempt), zap.String("tx", resp.Transaction), zap.String("earlier_cause", job.cause))...)
	case err == nil && resp.Success:
		q.log.Debug("settled", zap.String("route", job.Route), zap.String("tx", resp.Transaction), zap.String("payer", job.Claim.Payer()))
	default:
		// The last attempt's answer is often only the consequence (the
		// authorization expired while the real problem — no gas, a node
		// down — kept failing the earlier ones): report the earlier cause.
		root := cause
		if job.cause != "" && expired(resp.ErrorReason) {
			root = job.cause
		}
		q.log.Error("x402 settlement failed permanently; the response was served unpaid", append(jobFields(job),
			zap.Int("attempts", job.Attempt), zap.String("root_cause", root), zap.String("last_error", cause))...)
	}
	if q.cfg.Journal != nil && job.ID != "" {
		state := StateSettled
		if err != nil || !resp.Success {
			state = StateFailed
		}
		reason := resp.ErrorReason
		if err != nil && reason == "" {
			reason = err.Error()
		}
		if jerr := q.cfg.Journal.Finish(job.ID, state, resp.Transaction, reason); jerr != nil {
			q.log.Error("journal: recording settlement outcome", zap.String("id", job.ID), zap.Error(jerr))
		}
	}
	if q.cfg.OnResult != nil {
		q.cfg.OnResult(job, resp, err)
	}
	q.mu.Lock()
	q.running--
	q.idle.Broadcast()
	q.mu.Unlock()
}

type jobHeap []*Job

func (h jobHeap) Len() int           { return len(h) }
func (h jobHeap) Less(i, j int) bool { return h[i].Due.Before(h[j].Due) }
func (h jobHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index, h[j].index = i, j }
func (h *jobHeap) Push(x any)        { j := x.(*Job); j.index = len(*h); *h = append(*h, j) }
func (h *jobHeap) Pop() any          { old := *h; j := old[len(old)-1]; *h = old[:len(old)-1]; return j }
