package caddymodule

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/caddy-x402/x402/paywall/redisstore"
	"github.com/caddyserver/caddy/v2"
)

// An escrow operator outlives config reloads (pooled per ledger), so a
// reload that changes the store must move it: from memory to Redis the
// operator gets its own Redis connection and moves its sessions there
// (escrow.Operator.SetShared); leaving Redis, or switching to another Redis
// database or namespace, is refused with the reason, since other instances
// spend the sessions there.

// storeID names where a store config keeps sessions ("" for memory): the
// server(s) and the namespace, without credentials.
func storeID(st *StoreConfig) (string, error) {
	if st == nil || st.Type != "redis" {
		return "", nil
	}
	o, err := redisOptions(st, caddy.NewReplacer())
	if err != nil {
		return "", err
	}
	where := o.URL
	if u, err := url.Parse(o.URL); err == nil && o.URL != "" {
		u.User = nil
		where = u.String()
	}
	if o.Sentinel != nil {
		where = fmt.Sprintf("sentinel %s %v db %d", o.Sentinel.MasterName, o.Sentinel.Addrs, o.DB)
	}
	if len(o.Cluster) > 0 {
		where = fmt.Sprintf("cluster %v", o.Cluster)
	}
	ns := o.Namespace
	if ns == "" {
		ns = "default"
	}
	return where + "#" + ns, nil
}

// connectStore opens the operator's own connection to the configured
// shared store (nil for memory): the operator may outlive this runtime.
func (p *pooledOperator) connectStore(st *StoreConfig) (escrow.SharedSessions, error) {
	id, err := storeID(st)
	if err != nil || id == "" {
		return nil, err
	}
	o, err := redisOptions(st, caddy.NewReplacer())
	if err != nil {
		return nil, err
	}
	s, err := redisstore.New(o)
	if err != nil {
		return nil, fmt.Errorf("x402 escrow sessions on redis: %w", err)
	}
	p.shared, p.storeID = s, id
	return s.Sessions(), nil
}

// followStore moves a reused operator to the store of the new config, or
// refuses the change.
func (p *pooledOperator) followStore(st *StoreConfig) error {
	id, err := storeID(st)
	if err != nil || id == p.storeID {
		return err
	}
	if p.storeID != "" {
		to := "store memory"
		if id != "" {
			to = "another Redis database or namespace"
		}
		return fmt.Errorf("escrow sessions live in the shared store (Redis, namespace %q) and other instances spend them; "+
			"a reload cannot move them to %s: keep the store, or stop every instance and let the sessions close first: %w",
			p.namespace(), to, escrow.ErrStoreChange)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shared != nil {
		return errors.New("escrow operator: store already connected")
	}
	shared, err := p.connectStore(st)
	if err != nil {
		return err
	}
	if err := p.op.SetShared(shared); err != nil {
		_ = p.shared.Close()
		p.shared, p.storeID = nil, ""
		return err
	}
	return nil
}

func (p *pooledOperator) namespace() string {
	for i := len(p.storeID) - 1; i >= 0; i-- {
		if p.storeID[i] == '#' {
			return p.storeID[i+1:]
		}
	}
	return ""
}
