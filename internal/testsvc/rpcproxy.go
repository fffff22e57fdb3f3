package testsvc

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// RPCProxy is a loopback JSON-RPC proxy in front of a node (anvil) that a
// test can make misbehave: hang every request (an RPC stall), answer
// "not found" to receipts (a node that lost them, a receipt timeout) while
// transactions still go through, or hold the calls of one method before or
// after the node sees them (HoldCalls: a crash between a settlement's
// broadcast and its receipt, at a chosen point).
type RPCProxy struct {
	URL    string
	target string
	srv    *http.Server

	mu           sync.Mutex
	hang         chan struct{} // closed to release; nil when not hanging
	dropReceipts bool
	client       *http.Client
	hold         callHold
}

// StartRPCProxy serves a proxy to target on a free loopback port until the
// test ends.
func StartRPCProxy(t testing.TB, target string) *RPCProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("rpc proxy: %v", err)
	}
	p := &RPCProxy{URL: "http://" + l.Addr().String(), target: target, client: &http.Client{Timeout: time.Minute}}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(l) }()
	t.Cleanup(func() {
		p.Release()
		_ = p.srv.Close()
	})
	return p
}

// Hang holds every request from now on until Release (or the client gives
// up): the node looks stalled.
func (p *RPCProxy) Hang() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hang == nil {
		p.hang = make(chan struct{})
	}
}

// DropReceipts makes receipts (eth_getTransactionReceipt,
// eth_getBlockReceipts) come back as not found until Release.
func (p *RPCProxy) DropReceipts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropReceipts = true
}

// Release ends Hang and DropReceipts; held requests go through.
func (p *RPCProxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hang != nil {
		close(p.hang)
		p.hang = nil
	}
	p.dropReceipts = false
}

func (p *RPCProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	hang, drop := p.hang, p.dropReceipts
	p.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
			return
		}
	}
	p.holdAt(r, body, BeforeNode)
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if drop {
		out = dropReceipts(body, out)
	}
	p.holdAt(r, body, AfterNode)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

type rpcCall struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

type rpcAnswer struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   json.RawMessage `json:"error,omitempty"`
}

// dropReceipts rewrites the answers to receipt calls in out (a single
// answer or a batch) as null results.
func dropReceipts(in, out []byte) []byte {
	isReceipt := func(m string) bool { return m == "eth_getTransactionReceipt" || m == "eth_getBlockReceipts" }
	var one rpcCall
	if json.Unmarshal(in, &one) == nil && one.Method != "" {
		if !isReceipt(one.Method) {
			return out
		}
		b, _ := json.Marshal(rpcAnswer{JSONRPC: "2.0", ID: one.ID, Result: json.RawMessage("null")})
		return b
	}
	var calls []rpcCall
	var answers []rpcAnswer
	if json.Unmarshal(in, &calls) != nil || json.Unmarshal(out, &answers) != nil {
		return out
	}
	drop := map[string]bool{}
	for _, c := range calls {
		if isReceipt(c.Method) {
			drop[string(c.ID)] = true
		}
	}
	for i := range answers {
		if drop[string(answers[i].ID)] {
			answers[i].Result, answers[i].Error = json.RawMessage("null"), nil
		}
	}
	b, err := json.Marshal(answers)
	if err != nil {
		return out
	}
	return b
}
