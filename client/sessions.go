package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// Session states in a SessionStore.
const (
	// SessionActive: usable while it has balance and time left.
	SessionActive = "active"
	// SessionExhausted: the server said its balance is below the price.
	SessionExhausted = "exhausted"
	// SessionExpiring: the server no longer serves it (too close to its
	// expiry); close it or let the operator's final capture return the rest.
	SessionExpiring = "expiring"
	// SessionClosed: closed; the rest went back to the payer.
	SessionClosed = "closed"
	// SessionGone: the server does not know it or refused its token.
	SessionGone = "gone"
	// SessionPending: the request that opened it got no answer with a
	// token (the server failed while authorizing the deposit); its payer
	// can get a token with RecoverSession once the deposit is on chain.
	SessionPending = "pending"
)

// Session is an escrow session as the paying client keeps it. Token is the
// bearer secret that spends the deposit: it is written to the store's file
// (mode 0600) and never printed: String, GoString and SessionView leave it
// out.
type Session struct {
	// ID is the session id: the escrow payment's hash (0x-hex).
	ID    string `json:"id"`
	Token string `json:"token"`
	// Status is one of the Session* states.
	Status string `json:"status"`
	// Payer, Receiver (payTo), Network (CAIP-2), Asset, Operator (the
	// requirements' extra.facilitator) and Escrow bind the session.
	Payer    string `json:"payer"`
	Receiver string `json:"receiver"`
	Network  string `json:"network"`
	Asset    string `json:"asset"`
	Operator string `json:"operator"`
	Escrow   string `json:"escrow"`
	// URL and Method are the request that opened the session; closing
	// sends its close payload there.
	URL    string `json:"url"`
	Method string `json:"method,omitempty"`
	// Requirement is the escrow requirement the session was opened with.
	Requirement *facilitator.PaymentRequirements `json:"requirement,omitempty"`
	// Deposit, Balance and Price (of the last call) in token units.
	Deposit string `json:"deposit"`
	Balance string `json:"balance"`
	Price   string `json:"price,omitempty"`
	// ExpiresAt is the authorizationExpiry (Unix seconds): no use after it,
	// and the server stops a few minutes before. RefundExpiry follows it.
	ExpiresAt    int64 `json:"expiresAt"`
	RefundExpiry int64 `json:"refundExpiry,omitempty"`
	// AuthorizeTx is the deposit's authorize transaction.
	AuthorizeTx string `json:"authorizeTx,omitempty"`
	OpenedAt    int64  `json:"openedAt"`
	UpdatedAt   int64  `json:"updatedAt"`
	// Closing results: captured for the receiver, returned to the payer,
	// and the void transaction (empty when nothing was left to return).
	Captured string `json:"captured,omitempty"`
	Returned string `json:"returned,omitempty"`
	VoidTx   string `json:"voidTx,omitempty"`
}

// String describes the session without its token.
func (s Session) String() string {
	return fmt.Sprintf("escrow session %s (%s, balance %s of %s to %s, expires %s)", s.ID, s.Status, s.Balance, s.Deposit,
		s.Receiver, time.Unix(s.ExpiresAt, 0).UTC().Format(time.RFC3339))
}

// GoString is String: %#v must not print the token either.
func (s Session) GoString() string { return s.String() }

// Origin is scheme://host of the URL the session was opened on.
func (s *Session) Origin() string {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" {
		return s.URL
	}
	return u.Scheme + "://" + u.Host
}

// SessionView is a session without its token, for listings.
type SessionView struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Origin      string `json:"origin"`
	URL         string `json:"url"`
	Payer       string `json:"payer"`
	Receiver    string `json:"receiver"`
	Network     string `json:"network"`
	Asset       string `json:"asset"`
	Deposit     string `json:"deposit"`
	Balance     string `json:"balance"`
	ExpiresAt   int64  `json:"expiresAt"`
	AuthorizeTx string `json:"authorizeTx,omitempty"`
	Captured    string `json:"captured,omitempty"`
	Returned    string `json:"returned,omitempty"`
	VoidTx      string `json:"voidTx,omitempty"`
}

// View returns the session without its token.
func (s *Session) View() SessionView {
	return SessionView{ID: s.ID, Status: s.Status, Origin: s.Origin(), URL: s.URL, Payer: s.Payer, Receiver: s.Receiver,
		Network: s.Network, Asset: s.Asset, Deposit: s.Deposit, Balance: s.Balance, ExpiresAt: s.ExpiresAt,
		AuthorizeTx: s.AuthorizeTx, Captured: s.Captured, Returned: s.Returned, VoidTx: s.VoidTx}
}

// usable reports whether the session may pay price for these terms now:
// active, bound to the same payer, receiver, network, asset, operator and
// escrow, with balance ≥ price and more than margin before its expiry.
func (s *Session) usable(t *sessionTerms, price *big.Int, now time.Time, margin time.Duration) bool {
	if s.Status != SessionActive || s.Token == "" {
		return false
	}
	if !strings.EqualFold(s.Payer, t.payer) || !strings.EqualFold(s.Receiver, t.receiver) || !facilitator.SameNetwork(s.Network, t.network) ||
		!strings.EqualFold(s.Asset, t.asset) || !strings.EqualFold(s.Operator, t.operator) || !strings.EqualFold(s.Escrow, t.escrow) {
		return false
	}
	if !now.Add(margin).Before(time.Unix(s.ExpiresAt, 0)) {
		return false
	}
	bal, ok := new(big.Int).SetString(s.Balance, 10)
	return ok && bal.Cmp(price) >= 0
}

// sessionTerms is what binds a session, from a requirement and the payer.
type sessionTerms struct {
	payer, receiver, network, asset, operator, escrow string
}

// SessionStore keeps escrow sessions: in memory, or in a JSON file (mode
// 0600, written atomically, locked against other processes while it is
// read and rewritten). It is safe for concurrent use.
type SessionStore struct {
	path string // "" = memory only

	mu  sync.Mutex
	mem map[string]*Session
}

// sessionFile is the store's file format.
type sessionFile struct {
	Version  int        `json:"version"`
	Sessions []*Session `json:"sessions"`
}

// NewMemorySessionStore returns a store that lives as long as the process.
func NewMemorySessionStore() *SessionStore { return &SessionStore{mem: map[string]*Session{}} }

// OpenSessionStore returns the store kept in the JSON file at path (created
// on the first write, with its directory, mode 0600/0700).
func OpenSessionStore(path string) *SessionStore { return &SessionStore{path: path} }

// Path is the store's file ("" for a memory store).
func (st *SessionStore) Path() string { return st.path }

// DefaultSessionFile is $XDG_CONFIG_HOME/caddy-x402/sessions.json, or
// ~/.config/caddy-x402/sessions.json.
func DefaultSessionFile() (string, error) {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "caddy-x402", "sessions.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("session file: no home directory (set XDG_CONFIG_HOME or pass a file): %w", err)
	}
	return filepath.Join(home, ".config", "caddy-x402", "sessions.json"), nil
}

// maxSessionFile bounds the store's file (16 MiB).
const maxSessionFile = 16 << 20

// update runs fn on the sessions (by id) under the store's lock and, when
// fn returns true, writes them back.
func (st *SessionStore) update(fn func(m map[string]*Session) bool) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.path == "" {
		if st.mem == nil {
			st.mem = map[string]*Session{}
		}
		fn(st.mem)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(st.path), 0o700); err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	unlock, err := lockFile(st.path + ".lock")
	if err != nil {
		return fmt.Errorf("session file: locking %s: %w", st.path, err)
	}
	defer unlock()
	m, err := st.read()
	if err != nil {
		return err
	}
	if !fn(m) {
		return nil
	}
	return st.write(m)
}

func (st *SessionStore) read() (map[string]*Session, error) {
	m := map[string]*Session{}
	f, err := os.Open(st.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxSessionFile {
		return nil, fmt.Errorf("session file %s is larger than %d bytes", st.path, maxSessionFile)
	}
	var sf sessionFile
	dec := json.NewDecoder(f)
	if err := dec.Decode(&sf); err != nil {
		return nil, fmt.Errorf("session file %s is not a sessions file: %v", st.path, err)
	}
	for _, s := range sf.Sessions {
		if s != nil && s.ID != "" {
			m[strings.ToLower(s.ID)] = s
		}
	}
	return m, nil
}

func (st *SessionStore) write(m map[string]*Session) error {
	sf := sessionFile{Version: 1, Sessions: sortedSessions(m)}
	b, err := json.MarshalIndent(sf, "", "  ")
	if err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(st.path), ".sessions-*.json")
	if err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("session file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	if err := os.Rename(tmp.Name(), st.path); err != nil {
		return fmt.Errorf("session file: %w", err)
	}
	return nil
}

// sortedSessions orders sessions by opening time, then id.
func sortedSessions(m map[string]*Session) []*Session {
	out := make([]*Session, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].OpenedAt != out[j].OpenedAt {
			return out[i].OpenedAt < out[j].OpenedAt
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// List returns copies of all sessions, oldest first.
func (st *SessionStore) List() ([]Session, error) {
	var out []Session
	err := st.update(func(m map[string]*Session) bool {
		for _, s := range sortedSessions(m) {
			out = append(out, *s)
		}
		return false
	})
	return out, err
}

// Get returns the session whose id is id or starts with it (at least 6
// characters after 0x, and only one match).
func (st *SessionStore) Get(id string) (Session, error) {
	var found []Session
	want := strings.ToLower(strings.TrimSpace(id))
	err := st.update(func(m map[string]*Session) bool {
		if s, ok := m[want]; ok {
			found = []Session{*s}
			return false
		}
		if len(strings.TrimPrefix(want, "0x")) < 6 {
			return false
		}
		for k, s := range m {
			if strings.HasPrefix(k, want) || strings.HasPrefix(strings.TrimPrefix(k, "0x"), want) {
				found = append(found, *s)
			}
		}
		return false
	})
	switch {
	case err != nil:
		return Session{}, err
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return Session{}, fmt.Errorf("session id %q matches %d sessions; give more of it", id, len(found))
	}
	return Session{}, fmt.Errorf("no session %q in %s", id, st.describe())
}

func (st *SessionStore) describe() string {
	if st.path == "" {
		return "the in-memory session store"
	}
	return st.path
}

// Put stores (or replaces) a session.
func (st *SessionStore) Put(s Session) error {
	if s.ID == "" {
		return errors.New("session store: session without id")
	}
	if s.UpdatedAt == 0 {
		s.UpdatedAt = time.Now().Unix()
	}
	return st.update(func(m map[string]*Session) bool {
		m[strings.ToLower(s.ID)] = &s
		return true
	})
}

// Update changes the session id with fn; false when it is not stored.
func (st *SessionStore) Update(id string, fn func(*Session)) (bool, error) {
	found := false
	err := st.update(func(m map[string]*Session) bool {
		s, ok := m[strings.ToLower(id)]
		if !ok {
			return false
		}
		found = true
		fn(s)
		s.UpdatedAt = time.Now().Unix()
		return true
	})
	return found, err
}

// Remove deletes a session from the store.
func (st *SessionStore) Remove(id string) error {
	return st.update(func(m map[string]*Session) bool {
		k := strings.ToLower(id)
		if _, ok := m[k]; !ok {
			return false
		}
		delete(m, k)
		return true
	})
}

// best returns the usable session with the largest balance, if any.
func (st *SessionStore) best(t *sessionTerms, price *big.Int, now time.Time, margin time.Duration) (*Session, error) {
	var best *Session
	var bestBal *big.Int
	err := st.update(func(m map[string]*Session) bool {
		for _, s := range sortedSessions(m) {
			if !s.usable(t, price, now, margin) {
				continue
			}
			bal, _ := new(big.Int).SetString(s.Balance, 10)
			if best == nil || bal.Cmp(bestBal) > 0 {
				c := *s
				best, bestBal = &c, bal
			}
		}
		return false
	})
	return best, err
}
