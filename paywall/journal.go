package paywall

import (
	"encoding/json"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// State is where a journaled payment stands.
type State string

const (
	// StateQueued: served; settlement due at Entry.Due ("after" mode).
	StateQueued State = "queued"
	// StateSettling: a synchronous settlement started ("header", "before").
	StateSettling State = "settling"
	// StateSettled: on chain (Entry.Tx).
	StateSettled State = "settled"
	// StateFailed: settlement failed permanently (Entry.Reason).
	StateFailed State = "failed"
	// StateReleased: nothing charged (the upstream failed after all).
	StateReleased State = "released"
)

// Entry is a payment in the journal: everything needed to settle it again
// after a crash, without the request.
type Entry struct {
	ID           string                          `json:"id"` // hex of the replay key
	Scheme       string                          `json:"scheme"`
	Route        string                          `json:"route"`
	State        State                           `json:"state"`
	Payload      json.RawMessage                 `json:"payload"`
	Requirements facilitator.PaymentRequirements `json:"requirements"`
	Due          time.Time                       `json:"due"`
	Deadline     time.Time                       `json:"deadline"`
	Tx           string                          `json:"tx,omitempty"`
	Reason       string                          `json:"reason,omitempty"`
	// Sent lists the transactions broadcast to settle the payment, each
	// recorded before it went out (Journal.Broadcast): every version of a
	// replaced one,
	// the batch transaction carrying it. After a crash they are the
	// payment's own transactions: finding one of them on chain settles
	// it, any other is a replay incident.
	Sent []string `json:"sent,omitempty"`

	// reqJSON is Requirements as JSON, when the claim has it encoded
	// already (the offer's), for the journal's encoder.
	reqJSON []byte
}

// Journal makes served payments durable. Put is called once per paid
// request, at the moment its answer becomes chargeable and before the
// client sees it; Finish records the outcome. On start, Pending entries are
// settled again (settlement is idempotent and checks the chain first), and
// Spent ones re-arm the replay guard until their deadline.
type Journal interface {
	// Put stores e durably (it survives kill -9 once Put returns).
	Put(e *Entry) error
	// Broadcast records, durably, that transaction tx is being broadcast
	// to settle the pending payment id (Entry.Sent; written ahead of the
	// broadcast); unknown ids are ignored.
	Broadcast(id, tx string) error
	// Finish records the final state of a payment.
	Finish(id string, state State, tx, reason string) error
	// Pending lists the queued and settling entries.
	Pending() ([]*Entry, error)
	// Spent lists payments that were charged or may still be charged, with
	// their deadlines, to re-arm the replay guard after a restart.
	Spent(now time.Time) (map[string]time.Time, error)
	// Close flushes and closes the journal.
	Close() error
}
