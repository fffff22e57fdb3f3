package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator"
)

// Issue 12, defect 7: a site with the ordinary `log { output file … }`
// directive. A session is opened (its token in the answer), used, recovered
// and closed; an exact payment is made; a paid request meets a dead
// upstream (a handler error, which Caddy's error log would record with the
// request headers). Neither the access log file nor Caddy's own log holds
// a session token, a payment header or a signature, and the access log
// still has an entry for every paid request.
func TestEscrowTokensNeverLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	logFile := filepath.Join(e.dir, "access.log")
	a := e.newInstance(opts{escrow: true, siteLog: logFile})
	c := e.escrowClient(500_000)
	res, err := c.Do(mustGet(t, a.url("/session/open")))
	if err != nil || res.Response.StatusCode != http.StatusOK || res.PaymentResponse == nil || res.PaymentResponse.Session == nil {
		t.Fatalf("opening: %+v %v", res, err)
	}
	res.Response.Body.Close()
	var secrets []string
	addPayment := func(p *facilitator.PaymentPayload) {
		if p == nil {
			return
		}
		h, _ := facilitator.EncodeHeader(p)
		secrets = append(secrets, h)
		var fields map[string]any
		_ = json.Unmarshal(p.Payload, &fields)
		if sig, ok := fields["signature"].(string); ok {
			secrets = append(secrets, sig, strings.TrimPrefix(sig, "0x"))
		}
	}
	addPayment(res.Payment)
	sess := res.PaymentResponse.Session
	secrets = append(secrets, sess.Token, strings.TrimPrefix(sess.Token, "sess_"))
	for k := 0; k < 3; k++ {
		res, err := c.Do(mustGet(t, a.url("/session/use")))
		if err != nil || res.Response.StatusCode != http.StatusOK {
			t.Fatalf("use %d: %+v %v", k, res, err)
		}
		res.Response.Body.Close()
		addPayment(res.Payment)
	}
	rec, err := c.RecoverSession(context.Background(), sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, rec.Token, strings.TrimPrefix(rec.Token, "sess_"))
	if _, err := c.CloseSession(context.Background(), sess.ID); err != nil {
		t.Fatal(err)
	}
	ex := e.pay(a.url("/paid/item"))
	if ex.status != http.StatusOK {
		t.Fatalf("exact payment: %d", ex.status)
	}
	secrets = append(secrets, ex.header)
	var p facilitator.PaymentPayload
	_ = facilitator.DecodeHeader(ex.header, 0, &p)
	addPayment(&p)

	// A paid request whose upstream is gone: the handler chain errs.
	c2 := e.escrowClient(500_000)
	res2, err := c2.Do(mustGet(t, a.url("/session/open2")))
	if err != nil || res2.PaymentResponse == nil || res2.PaymentResponse.Session == nil {
		t.Fatalf("second opening: %+v %v", res2, err)
	}
	res2.Response.Body.Close()
	s2 := res2.PaymentResponse.Session
	secrets = append(secrets, s2.Token)
	e.up.Close()
	dead := sendPayment(t, a.url("/session/dead"), usageHeader(t, res2.Requirement, s2, "dead-upstream", ""))
	if dead.status != http.StatusBadGateway {
		t.Fatalf("paid request to a dead upstream: %+v", dead)
	}
	secrets = append(secrets, usageHeader(t, res2.Requirement, s2, "dead-upstream", ""))

	waitUntil(t, 10*time.Second, "the access log entries", func() bool { return countEntries(t, logFile, "/session/") >= 8 })
	for name, text := range map[string]string{"access log " + logFile: readFile(t, logFile), "caddy's own log": a.proc.Output()} {
		for _, s := range secrets {
			if len(s) >= 16 && strings.Contains(text, s) {
				t.Errorf("%s holds a secret (%s…)", name, s[:12])
			}
		}
		for _, h := range []string{"Payment-Signature", "Payment-Response"} {
			if strings.Contains(text, `"`+h+`":["ey`) {
				t.Errorf("%s holds a %s value", name, h)
			}
		}
	}
	if n := countEntries(t, logFile, "/paid/item"); n < 1 {
		t.Errorf("the access log has no entry for the exact payment")
	}
	t.Logf("%d secrets searched in %d bytes of access log and %d of caddy output", len(secrets), len(readFile(t, logFile)), len(a.proc.Output()))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// countEntries counts the access log's "handled request" entries whose uri
// starts with prefix.
func countEntries(t *testing.T, path, prefix string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var entry struct {
			Msg     string `json:"msg"`
			Request struct {
				URI string `json:"uri"`
			} `json:"request"`
		}
		if json.Unmarshal(sc.Bytes(), &entry) == nil && entry.Msg == "handled request" && strings.HasPrefix(entry.Request.URI, prefix) {
			n++
		}
	}
	return n
}
