package reliability

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/contracts"
	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/caddy-x402/x402/internal/testsvc"
	"github.com/caddy-x402/x402/paywall"
)

// Helpers of the settlement pipeline's tests: anvil's mining controls,
// payments signed with a chosen key and window, on-chain moves by payers,
// and the journal read after Caddy stopped.

const anvilChainID = 84532

// anvilRPC calls a method of the env's anvil (raw JSON params).
func (e *env) anvilRPC(method string, params ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := testsvc.RPC(ctx, e.anvil.URL, method, params...)
	if err != nil {
		e.t.Fatalf("anvil %s: %v", method, err)
	}
	return out
}

// nonceAt is addr's transaction count at block "latest" or "pending".
func (e *env) nonceAt(addr common.Address, block string) uint64 {
	e.t.Helper()
	out := e.anvilRPC("eth_getTransactionCount", strconv.Quote(addr.Hex()), strconv.Quote(block))
	var hexN string
	if err := json.Unmarshal([]byte(out), &hexN); err != nil {
		e.t.Fatalf("eth_getTransactionCount: %s", out)
	}
	n, err := strconv.ParseUint(strings.TrimPrefix(hexN, "0x"), 16, 64)
	if err != nil {
		e.t.Fatalf("eth_getTransactionCount: %s", out)
	}
	return n
}

// waitPendingNonce waits (at most d) until addr has want transactions
// counting the pool's.
func (e *env) waitPendingNonce(addr common.Address, want uint64, d time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(d)
	for e.nonceAt(addr, "pending") < want {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s has %d transactions counting the pool after %s, want %d", addr.Hex(), e.nonceAt(addr, "pending"), d, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signWith signs a payment for the instance's paid route with key, valid
// for validFor from now.
func (e *env) signWith(i *instance, key *ecdsa.PrivateKey, validFor time.Duration) payment {
	e.t.Helper()
	resp, err := http.Get(i.url("/paid/sign"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	c := e.client()
	pr, _, err := c.Challenge(resp)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := c.Choose(pr)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := evm.NewExactPayment(key, r, evm.ExactOptions{ValidFor: validFor, Resource: pr.Resource})
	if err != nil {
		e.t.Fatal(err)
	}
	header, err := facilitator.EncodeHeader(p)
	if err != nil {
		e.t.Fatal(err)
	}
	from, nonce := authOf(e.t, p)
	return payment{header: header, from: from, nonce: nonce}
}

var testUSDC = contracts.NewTestUSDC()

// tokenTx sends data to the token from key and waits until it is mined.
func (e *env) tokenTx(key *ecdsa.PrivateKey, data []byte) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := bind.Transact(testUSDC.Instance(e.ec, e.token), devchain.Transactor(ctx, key, big.NewInt(anvilChainID)), data)
	if err != nil {
		e.t.Fatalf("transaction to the token: %v", err)
	}
	if _, err := devchain.WaitSuccess(ctx, e.ec, tx.Hash(), 0); err != nil {
		e.t.Fatal(err)
	}
}

// cancelAuthorization has the payer cancel its authorization nonce on
// chain (cancelAuthorization, signed and sent by the payer).
func (e *env) cancelAuthorization(payer devchain.Account, nonce [32]byte) {
	e.t.Helper()
	var buf [3 * 32]byte
	copy(buf[:32], evm.CancelAuthorizationTypeHash[:])
	copy(buf[64-20:64], payer.Address[:])
	copy(buf[64:], nonce[:])
	d := evm.Domain{Name: "USD Coin", Version: "2", ChainID: anvilChainID, VerifyingContract: e.token}
	digest := evm.TypedDataDigest(d.Separator(), evm.Keccak256(buf[:]))
	sig, err := crypto.Sign(digest[:], payer.Key)
	if err != nil {
		e.t.Fatal(err)
	}
	sig[64] += 27
	e.tokenTx(payer.Key, testUSDC.PackCancelAuthorizationBytes(payer.Address, nonce, sig))
}

// journalID is the journal entry id of a payment: the hex of the paywall's
// replay key, keccak256(chain id ‖ token ‖ payer ‖ nonce).
func (e *env) journalID(p payment) string {
	var buf [8 + 20 + 20 + 32]byte
	binary.BigEndian.PutUint64(buf[:8], anvilChainID)
	copy(buf[8:28], e.token[:])
	copy(buf[28:48], p.from[:])
	copy(buf[48:80], p.nonce[:])
	k := evm.Keccak256(buf[:])
	return hex.EncodeToString(k[:])
}

// journalRecord is what the journal holds for one payment.
type journalRecord struct {
	state          paywall.State
	tx, reason     string
	sent           []string
	pendingPresent bool
}

// readJournal opens the instance's journal (Caddy must not run) and
// returns the record of each payment.
func (i *instance) readJournal(ps []payment) []journalRecord {
	t := i.e.t
	t.Helper()
	j, err := paywall.OpenBoltJournal(filepath.Join(i.dir, "journal.db"), time.Hour)
	if err != nil {
		t.Fatalf("opening the journal: %v", err)
	}
	defer j.Close()
	pending, err := j.Pending()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*paywall.Entry{}
	for _, en := range pending {
		byID[en.ID] = en
	}
	out := make([]journalRecord, len(ps))
	for k, p := range ps {
		id := i.e.journalID(p)
		state, tx, reason, err := j.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = journalRecord{state: state, tx: tx, reason: reason}
		if en := byID[id]; en != nil {
			out[k].sent, out[k].pendingPresent = en.Sent, true
		}
	}
	return out
}

// receipt is the receipt of a transaction given in hex.
func (e *env) receipt(txHex string) *types.Receipt {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := e.ec.TransactionReceipt(ctx, common.HexToHash(txHex))
	if err != nil {
		e.t.Fatalf("receipt of %s: %v", txHex, err)
	}
	return r
}

// queueLength is the instance's settlement queue length (admin API).
func (i *instance) queueLength() int {
	i.e.t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/x402/stats", i.admin))
	if err != nil {
		i.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var stats struct {
		Runtimes []struct {
			Queue int `json:"settlement_queue_length"`
		} `json:"runtimes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		i.e.t.Fatal(err)
	}
	n := 0
	for _, r := range stats.Runtimes {
		n += r.Queue
	}
	return n
}

// waitQueueEmpty waits (at most d) until the instance's queue is empty.
func (i *instance) waitQueueEmpty(d time.Duration) {
	i.e.t.Helper()
	deadline := time.Now().Add(d)
	for i.queueLength() > 0 {
		if time.Now().After(deadline) {
			i.e.t.Fatalf("settlement queue still holds %d after %s", i.queueLength(), d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendAll sends pre-signed payments to url, conc at a time, and fails
// unless each is served.
func sendAll(t *testing.T, url string, ps []payment, conc int) {
	t.Helper()
	sem := make(chan struct{}, conc)
	errs := make(chan string, len(ps))
	for k, p := range ps {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			if status, code := send(t, url, p.header); status != http.StatusOK {
				errs <- fmt.Sprintf("payment %d: %d %s", k, status, code)
			}
		}()
	}
	for range conc {
		sem <- struct{}{}
	}
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if t.Failed() {
		t.FailNow()
	}
}
