package testsvc

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// HoldStage is where RPCProxy.HoldCalls stops a call.
type HoldStage int

const (
	// BeforeNode holds a call before the node sees it: a transaction held
	// here was never broadcast.
	BeforeNode HoldStage = iota
	// AfterNode holds the node's answer: the node took the call (a
	// transaction is in its pool, mined at once by an automining anvil), the
	// client has not heard so.
	AfterNode
)

// callHold is the proxy's hold of one method's calls.
type callHold struct {
	method  string
	stage   HoldStage
	release chan struct{} // closed by ReleaseCalls
	drop    chan struct{} // closed by DropCalls
	held    chan struct{} // one token per call held
}

// HoldCalls makes every call of method (alone or in a batch) wait at stage
// until ReleaseCalls (it goes on) or DropCalls (its connection is closed
// with no answer); a client that goes away (killed) ends its held call,
// which then never reaches the node if it was held BeforeNode.
func (p *RPCProxy) HoldCalls(method string, stage HoldStage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold = callHold{method: method, stage: stage, release: make(chan struct{}), drop: make(chan struct{}), held: make(chan struct{}, 64)}
}

// WaitHeld waits until a call is held, failing t after d.
func (p *RPCProxy) WaitHeld(t testing.TB, d time.Duration) {
	t.Helper()
	p.mu.Lock()
	held := p.hold.held
	p.mu.Unlock()
	if held == nil {
		t.Fatal("rpc proxy: WaitHeld without HoldCalls")
	}
	select {
	case <-held:
	case <-time.After(d):
		t.Fatalf("rpc proxy: no %s call held within %s", p.hold.method, d)
	}
}

// ReleaseCalls lets the held calls go on and holds no more.
func (p *RPCProxy) ReleaseCalls() { p.endHold(false) }

// DropCalls ends the held calls without an answer and holds no more.
func (p *RPCProxy) DropCalls() { p.endHold(true) }

func (p *RPCProxy) endHold(drop bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.hold.release == nil:
	case drop:
		close(p.hold.drop)
	default:
		close(p.hold.release)
	}
	p.hold = callHold{}
}

// holdAt blocks a call of the held method at stage until it is released,
// dropped or its client goes away; the last two abort the handler, which
// closes the connection with no answer.
func (p *RPCProxy) holdAt(r *http.Request, body []byte, stage HoldStage) {
	p.mu.Lock()
	h := p.hold
	p.mu.Unlock()
	if h.release == nil || h.stage != stage || !callsMethod(body, h.method) {
		return
	}
	select {
	case h.held <- struct{}{}:
	default:
	}
	select {
	case <-h.release:
		return
	case <-h.drop:
	case <-r.Context().Done():
	}
	panic(http.ErrAbortHandler)
}

// callsMethod reports whether a JSON-RPC body (one call or a batch) calls
// method.
func callsMethod(body []byte, method string) bool {
	var one rpcCall
	if json.Unmarshal(body, &one) == nil && one.Method != "" {
		return one.Method == method
	}
	var calls []rpcCall
	if json.Unmarshal(body, &calls) != nil {
		return false
	}
	for _, c := range calls {
		if c.Method == method {
			return true
		}
	}
	return false
}
