package testsvc

import (
	"bytes"
	"net"
	"sync"
	"testing"
)

// TCPProxy forwards TCP connections from Addr to a target, and can hold
// what the target sends on some of them: a test uses it to keep a replica
// from receiving its primary's last writes (Hold("PSYNC")), then to drop
// them for good (Cut).
type TCPProxy struct {
	Addr   string
	target string
	l      net.Listener

	mu    sync.Mutex
	cond  *sync.Cond
	held  string // hold connections whose client sent this ("" = none)
	cut   int    // generation: connections of an older one are closed
	conns []net.Conn
}

// proxied is one forwarded connection.
type proxied struct {
	gen  int
	mu   sync.Mutex
	sent []byte // the first bytes the client sent
}

// StartTCPProxy listens on a free loopback port and forwards to target
// until the test ends.
func StartTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &TCPProxy{Addr: l.Addr().String(), target: target, l: l}
	p.cond = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(func() { l.Close(); p.Cut() })
	return p
}

func (p *TCPProxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		pc := &proxied{gen: p.cut}
		p.mu.Unlock()
		go p.pipe(c, up, pc, false)
		go p.pipe(up, c, pc, true)
	}
}

// pipe copies src to dst; data from the target to a held connection waits
// while the proxy holds, and is dropped by a cut.
func (p *TCPProxy) pipe(src, dst net.Conn, pc *proxied, fromTarget bool) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !fromTarget {
				pc.mu.Lock()
				if len(pc.sent) < 4096 {
					pc.sent = append(pc.sent, buf[:min(n, 4096-len(pc.sent))]...)
				}
				pc.mu.Unlock()
			}
			p.mu.Lock()
			for fromTarget && p.cut == pc.gen && p.held != "" && pc.sentContains(p.held) {
				p.cond.Wait()
			}
			dropped := p.cut != pc.gen
			p.mu.Unlock()
			if dropped {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (pc *proxied) sentContains(s string) bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return bytes.Contains(pc.sent, []byte(s))
}

// Hold stops forwarding what the target sends on the connections whose
// client sent marker (e.g. "PSYNC": a replica's replication link); the
// client side still reaches the target, other connections are untouched.
func (p *TCPProxy) Hold(marker string) {
	p.mu.Lock()
	p.held = marker
	p.mu.Unlock()
}

// Cut closes every forwarded connection, dropping what was held, and stops
// holding; new connections are forwarded again.
func (p *TCPProxy) Cut() {
	p.mu.Lock()
	p.cut++
	p.held = ""
	conns := p.conns
	p.conns = nil
	p.cond.Broadcast()
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
