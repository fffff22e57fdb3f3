package devchain

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/ethclient"
)

func rpcPost(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s -> %d %s", body, resp.StatusCode, raw)
	}
	return out
}

func TestHTTPRPC(t *testing.T) {
	c := startChain(t, Options{ChainID: 84532, Accounts: 3, RPCAddr: "127.0.0.1:0"})
	if !strings.HasPrefix(c.RPCURL, "http://127.0.0.1:") {
		t.Fatalf("RPCURL %q", c.RPCURL)
	}
	if got := rpcPost(t, c.RPCURL, `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`)["result"]; got != "0x14a34" {
		t.Fatalf("eth_chainId = %v", got)
	}
	if got := rpcPost(t, c.RPCURL, `{"jsonrpc":"2.0","id":1,"method":"net_version","params":[]}`)["result"]; got != "84532" {
		t.Fatalf("net_version = %v", got)
	}
	if st := rpcPost(t, c.RPCURL, `{"jsonrpc":"2.0","id":1,"method":"txpool_status","params":[]}`); st["result"] == nil {
		t.Fatalf("txpool_status = %v", st)
	}
	// Only the listed modules are served.
	if out := rpcPost(t, c.RPCURL, `{"jsonrpc":"2.0","id":1,"method":"admin_nodeInfo","params":[]}`); out["error"] == nil {
		t.Fatalf("admin_nodeInfo answered over HTTP: %v", out)
	}

	ec, err := ethclient.Dial(c.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	ctx := testCtx(t)
	if code, err := ec.CodeAt(ctx, c.Token, nil); err != nil || len(code) == 0 {
		t.Fatalf("token code over HTTP: %d bytes, %v", len(code), err)
	}

	// A transferWithAuthorization sent over HTTP is mined without anyone
	// calling Commit.
	payer, payee := c.Accounts[1], c.Accounts[2]
	a := newAuth(payer.Address, payee.Address, 12_345)
	data := usdc.PackTransferWithAuthorizationBytes(a.From, a.To, a.Value, a.ValidAfter, a.ValidBefore, a.Nonce, sign(t, payer.Key, authDigest(t, c, twa, a)))
	opts := Transactor(ctx, payee.Key, c.ChainID)
	opts.NoSend = true
	tx, err := bind.Transact(usdc.Instance(ec, c.Token), opts, data)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := ec.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	rc, err := WaitSuccess(ctx, ec, tx.Hash(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("HTTP send -> receipt: %v (block %d, %d gas)", took, rc.BlockNumber, rc.GasUsed)
	if took > 250*time.Millisecond {
		t.Errorf("HTTP transaction took %v to be mined", took)
	}
	bal, err := BalanceOf(ctx, ec, c.Token, payee.Address)
	if err != nil || bal.Cmp(new(big.Int).Add(DefaultUSDCPerAccount, big.NewInt(12_345))) != 0 {
		t.Fatalf("payee balance over HTTP %v (%v)", bal, err)
	}
}

func TestHTTPRPCFixedPortAndVirtualHost(t *testing.T) {
	c := startChain(t, Options{Accounts: 1, RPCAddr: "127.0.0.1:0"})
	// Browsers and tools that say "localhost" are accepted too.
	url := strings.Replace(c.RPCURL, "127.0.0.1", "localhost", 1)
	if got := rpcPost(t, url, `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`)["result"]; got == nil {
		t.Fatalf("eth_blockNumber via localhost: %v", got)
	}
	// A second chain on the same fixed port fails cleanly instead of panicking.
	addr := strings.TrimPrefix(c.RPCURL, "http://")
	if c2, err := Start(Options{Accounts: 1, RPCAddr: addr}); err == nil {
		c2.Close()
		t.Fatal("second chain on a busy port started")
	}
	// Batch requests work (wallet libraries batch).
	resp, err := http.Post(c.RPCURL, "application/json", bytes.NewBufferString(
		`[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":2,"method":"web3_clientVersion","params":[]}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var batch []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&batch); err != nil || len(batch) != 2 {
		t.Fatalf("batch: %v %v", batch, err)
	}
}
