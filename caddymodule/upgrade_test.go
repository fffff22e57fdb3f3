package caddymodule

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/ethereum/go-ethereum/crypto"
)

// wsAccept is the Sec-WebSocket-Accept of a key (RFC 6455 §4.2.2).
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsEchoUpstream is a WebSocket echo server: it completes the handshake and
// echoes text frames. It counts the connections it took over.
func wsEchoUpstream(t *testing.T) (*upstream, *atomic.Int64) {
	var conns atomic.Int64
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("X-Payer") == "" {
			http.Error(w, "not a paid websocket request", http.StatusBadRequest)
			return
		}
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		conns.Add(1)
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", wsAccept(r.Header.Get("Sec-WebSocket-Key")))
		_ = brw.Flush()
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		for {
			msg, err := wsRead(brw.Reader)
			if err != nil {
				return
			}
			if err := wsWrite(brw.Writer, msg, false); err != nil {
				return
			}
		}
	})
	return u, &conns
}

// wsWrite writes one final text frame (masked when sent by a client).
func wsWrite(w *bufio.Writer, msg []byte, masked bool) error {
	hdr := []byte{0x81, byte(len(msg))}
	var mask [4]byte
	if masked {
		hdr[1] |= 0x80
		_, _ = rand.Read(mask[:])
		hdr = append(hdr, mask[:]...)
	}
	body := append([]byte(nil), msg...)
	for i := range body {
		body[i] ^= mask[i%4]
	}
	if _, err := w.Write(append(hdr, body...)); err != nil {
		return err
	}
	return w.Flush()
}

// wsRead reads one short frame (payload < 126 bytes) and unmasks it.
func wsRead(r *bufio.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(hdr[1] & 0x7f)
	var mask [4]byte
	if hdr[1]&0x80 != 0 {
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return nil, err
		}
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	for i := range msg {
		msg[i] ^= mask[i%4]
	}
	return msg, nil
}

// wsDial sends a WebSocket upgrade for path through Caddy with the payment
// header and returns the response and, after a 101, the connection.
func wsDial(t *testing.T, path string, hdr ...string) (*http.Response, net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", sitePort), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	var key [16]byte
	_, _ = rand.Read(key[:])
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: localhost:%d\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n",
		path, sitePort, base64.StdEncoding.EncodeToString(key[:]))
	for i := 0; i+1 < len(hdr); i += 2 {
		req += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		c.Close()
		return resp, nil, nil
	}
	t.Cleanup(func() { c.Close() })
	return resp, c, br
}

// A paid WebSocket route through reverse_proxy: one payment opens one
// connection and is settled (on chain) before the 101; the same payment
// cannot open a second one; an unfunded payer gets 402 instead of the 101;
// a route that does not allow upgrades refuses them before the upstream.
func TestCaddyPaidWebSocket(t *testing.T) {
	ws, conns := wsEchoUpstream(t)
	payTo := freshPayee(t, "websocket")
	startCaddy(t, siteConfig("", fmt.Sprintf(`	x402 /paid/ws* {
		price 0.01
		pay_to %[1]s
		upgrades allow
	}
	x402 /paid/header-ws* {
		price 0.01
		pay_to %[1]s
		settle header
		upgrades allow
	}
	x402 /paid/plain* {
		price 0.01
		pay_to %[1]s
	}
	reverse_proxy %[2]s`, payTo.Hex(), ws.addr())))
	c := testChain(t)

	name, value := payHeader(t, devKey(t, 8), siteURL+"/paid/ws")
	resp, conn, br := wsDial(t, "/paid/ws", name, value)
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %d", resp.StatusCode)
	}
	var sr facilitator.SettleResponse
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentResponse), 0, &sr); err != nil || !sr.Success || sr.Transaction == "" {
		t.Fatalf("the 101 carries no settled PAYMENT-RESPONSE: %+v %v", sr, err)
	}
	// Settled before the 101: the payee already holds the price.
	if got := balance(t, c, payTo); got.Cmp(big.NewInt(10000)) != 0 {
		t.Fatalf("payee holds %s when the 101 arrived, want 10000", got)
	}
	w := bufio.NewWriter(conn)
	for _, msg := range []string{"hello", "second message, same connection"} {
		if err := wsWrite(w, []byte(msg), true); err != nil {
			t.Fatal(err)
		}
		got, err := wsRead(br)
		if err != nil || string(got) != msg {
			t.Fatalf("echo %q: %q %v", msg, got, err)
		}
	}

	// The same payment again: refused as a replay, no second connection.
	if resp, _, _ := wsDial(t, "/paid/ws", name, value); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("second upgrade with the same payment: %d", resp.StatusCode)
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("upstream took over %d connections, want 1", n)
	}

	// A payer without funds: refused by the funds check in after mode;
	// in header mode (no funds check) the upstream answers 101 and the
	// settlement at that 101 fails: 402 instead, the tunnel never opens.
	k, _ := crypto.GenerateKey()
	name, value = payHeader(t, k, siteURL+"/paid/ws")
	if resp, _, _ = wsDial(t, "/paid/ws", name, value); resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("unfunded upgrade: %d, want 402", resp.StatusCode)
	}
	name, value = payHeader(t, k, siteURL+"/paid/header-ws")
	resp, _, _ = wsDial(t, "/paid/header-ws", name, value)
	if resp.StatusCode != http.StatusPaymentRequired {
		t.Fatalf("unfunded upgrade in header mode: %d, want 402", resp.StatusCode)
	}
	if err := facilitator.DecodeHeader(resp.Header.Get(facilitator.HeaderPaymentResponse), 0, &sr); err != nil || sr.Success || sr.ErrorReason == "" {
		t.Fatalf("the 402 does not carry the failed settlement: %+v %v %v", sr, err, resp.Header)
	}
	if got := balance(t, c, payTo); got.Cmp(big.NewInt(10000)) != 0 {
		t.Fatalf("payee holds %s, want 10000", got)
	}

	// The route without `upgrades allow` refuses before the upstream.
	hits := ws.hits.Load()
	name, value = payHeader(t, devKey(t, 8), siteURL+"/paid/plain")
	resp, _, _ = wsDial(t, "/paid/plain", name, value)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("upgrade on a route that refuses them: %d", resp.StatusCode)
	}
	if ws.hits.Load() != hits {
		t.Fatal("a refused upgrade reached the upstream")
	}
	if got := balance(t, c, payTo); got.Cmp(big.NewInt(10000)) != 0 {
		t.Fatalf("payee holds %s after a refused upgrade, want 10000", got)
	}
}
