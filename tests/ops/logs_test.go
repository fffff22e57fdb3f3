package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/ethereum/go-ethereum/crypto"
)

// chain is an anvil node (chain id 84532, so the network is base-sepolia)
// with our TestUSDC deployed by `caddy x402 devchain deploy`.
type chain struct {
	anvil     *testsvc.Anvil
	token     string
	contracts map[string]string // escrow contracts by name
}

func newChain(t *testing.T, h *host, anvilArgs ...string) *chain {
	t.Helper()
	c := &chain{anvil: testsvc.StartAnvil(t, anvilArgs...)}
	out, err := h.caddy(nil, "x402", "devchain", "deploy", "--rpc", c.anvil.URL, "--timeout", "60s")
	if err != nil {
		t.Fatalf("caddy x402 devchain deploy: %v\n%s", err, out)
	}
	var dep struct {
		Token     struct{ Address string } `json:"token"`
		Contracts map[string]string        `json:"contracts"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &dep); err != nil || dep.Token.Address == "" {
		t.Fatalf("deploy output %s: %v", out, err)
	}
	c.token, c.contracts = dep.Token.Address, dep.Contracts
	return c
}

// x402Block is the global option of an instance on the anvil chain.
func (c *chain) x402Block(keyFile, extra string) string {
	return fmt.Sprintf("\t\tnetwork base-sepolia {\n\t\t\trpc %s\n\t\t\tasset %s {\n\t\t\t\tname \"USD Coin\"\n\t\t\t\tversion 2\n\t\t\t\tsymbol USDC\n\t\t\t}\n\t\t}\n"+
		"\t\tfacilitator embedded {\n\t\t\tkey_file %s\n\t\t}\n%s", c.anvil.URL, c.token, keyFile, extra)
}

// setBalance sets an account's ETH on anvil.
func (c *chain) setBalance(t *testing.T, addr string, wei *big.Int) {
	t.Helper()
	if _, err := testsvc.RPC(context.Background(), c.anvil.URL, "anvil_setBalance", `"`+addr+`"`, `"0x`+wei.Text(16)+`"`); err != nil {
		t.Fatal(err)
	}
}

// payAfter pays one request of the instance's paid route with dev account
// 2 (funded with TestUSDC by the deploy) and expects it served; a 503 (the
// store recovering after Redis came back empty) is retried for a while.
func payAfter(t *testing.T, i *instance) {
	t.Helper()
	accts, _ := devchain.DevAccounts(3)
	c := &client.Client{Key: accts[2].Key, HTTP: &http.Client{Timeout: 30 * time.Second}, MaxAmount: big.NewInt(10000)}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, i.url("/paid/log"), nil)
		res, err := c.Do(req)
		if res == nil {
			t.Fatalf("paying: %v", err)
		}
		body, _ := io.ReadAll(res.Response.Body)
		res.Response.Body.Close()
		switch {
		case res.Response.StatusCode == 200:
			return
		case res.Response.StatusCode != 503 || time.Now().After(deadline):
			t.Fatalf("paid request: %d %s", res.Response.StatusCode, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Each operational event is one structured line of Caddy's JSON log, and
// nothing else reaches the log as plain text: the store going down and
// coming back, the chain's RPC going down and coming back, the
// facilitator's gas running out and topped up, a settlement retried with
// its real cause (no gas) and its amount in token and units, and a stop
// that drains: how many are left, progress every few seconds, the outcome.
func TestOperationalLogLines(t *testing.T) {
	h := newHost(t)
	state := h.dir + "/anvil-state.json"
	c := newChain(t, h, "--state", state)
	redis := testsvc.StartRedis(t)
	keyFile, keyHex := h.keyFile(7, 0o600)
	key, _ := crypto.HexToECDSA(keyHex)
	facilitator := crypto.PubkeyToAddress(key.PublicKey).Hex()
	i := h.newInstance("ops", config{
		x402:  c.x402Block(keyFile, "\t\tstore redis redis://"+redis.Addr+"/0\n\t\tmonitor_interval 200ms\n\t\tdrain_timeout 5s\n"),
		route: "\t\tprice 0.01\n\t\tpay_to " + payee + "\n\t\tsettle after\n\t\tsettle_delay 100ms\n",
	})
	i.start()

	// Store down, then back on the same port.
	redis.Kill()
	i.waitLog(20*time.Second, "x402 store redis unreachable; paid requests get 503 until it answers")
	port := strings.TrimPrefix(redis.Addr, "127.0.0.1:")
	testsvc.Start(t, "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	i.waitLog(20*time.Second, "x402 store redis reachable again")

	// RPC down (anvil stops, saving its state), then back.
	_ = c.anvil.Signal(syscall.SIGINT)
	if !c.anvil.Wait(20 * time.Second) {
		t.Fatal("anvil did not stop")
	}
	i.waitLog(20*time.Second, "x402 network rpc unreachable: settlements wait and retry, and settle-after routes cannot check balances", "network", "eip155:84532")
	c.anvil.Restart(t)
	i.waitLog(20*time.Second, "x402 network rpc reachable again", "network", "eip155:84532")

	// No gas: the settlement of a served request retries with that cause;
	// gas again: it succeeds.
	c.setBalance(t, facilitator, big.NewInt(0))
	i.waitLog(20*time.Second, "x402 facilitator has no gas: every settlement fails until its key gets ETH (settle-after routes serve unpaid meanwhile)",
		"facilitator", facilitator)
	payAfter(t, i)
	retry := i.waitLog(20*time.Second, "x402 settlement failed; retrying", "amount", "0.01 USDC (10000 units)", "route", "/paid/*")
	if cause, _ := retry["cause"].(string); !strings.Contains(strings.ToLower(cause), "insufficient funds") {
		t.Fatalf("retry cause %q, want the missing gas", cause)
	}
	ten := new(big.Int).Exp(big.NewInt(10), big.NewInt(19), nil)
	c.setBalance(t, facilitator, ten)
	i.waitLog(20*time.Second, "x402 facilitator gas topped up", "facilitator", facilitator)
	done := i.waitLog(30*time.Second, "x402 settlement succeeded after retries", "amount", "0.01 USDC (10000 units)")
	if cause, _ := done["earlier_cause"].(string); !strings.Contains(strings.ToLower(cause), "insufficient funds") {
		t.Fatalf("earlier cause %q", cause)
	}

	// A stop with a settlement that cannot finish: left, progress, outcome.
	c.setBalance(t, facilitator, big.NewInt(0))
	i.waitLog(20*time.Second, "x402 facilitator has no gas: every settlement fails until its key gets ETH (settle-after routes serve unpaid meanwhile)",
		"facilitator", facilitator)
	payAfter(t, i)
	i.waitLog(20*time.Second, "x402 settlement failed; retrying", "amount", "0.01 USDC (10000 units)")
	if out, err := h.caddy(nil, "stop", "--address", fmt.Sprintf("127.0.0.1:%d", i.admin)); err != nil {
		t.Fatalf("caddy stop: %v\n%s", err, out)
	}
	if !i.proc.Wait(30 * time.Second) {
		t.Fatal("caddy did not stop")
	}
	start := i.waitLog(time.Second, "x402 stopping: settling what is left before exiting")
	if start["left"] != float64(1) {
		t.Fatalf("left %v, want 1", start["left"])
	}
	i.waitLog(time.Second, "x402 stopping: settlements still draining")
	i.waitLog(time.Second, "x402 stopping: drain timed out; the journal keeps the unsettled payments and the next start settles them")
	for _, l := range i.logLines() {
		if m, _ := l["msg"].(string); strings.Contains(m, "connection pool") && l["logger"] != "x402.redis" {
			t.Fatalf("go-redis line outside the x402.redis logger: %v", l)
		}
	}
}
