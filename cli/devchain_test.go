package cli

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// startRPCChain starts an embedded dev chain served over HTTP JSON-RPC, as
// an external node (anvil) would be.
func startRPCChain(t *testing.T) *devchain.Chain {
	t.Helper()
	c, err := devchain.Start(devchain.Options{ChainID: 84532, RPCAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func decodeDeploy(t *testing.T, stdout string) devchainOutput {
	t.Helper()
	var out devchainOutput
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("output is not the deploy JSON: %v\n%s", err, stdout)
	}
	return out
}

func tokenBalance(t *testing.T, rpc string, token, owner common.Address) *big.Int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, rpc)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	b, err := devchain.BalanceOf(ctx, ec, token, owner)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDevchainDeployDefaults(t *testing.T) {
	c := startRPCChain(t)
	stdout, stderr, code := runX402(t, "", "devchain", "deploy", "--rpc", c.RPCURL)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := decodeDeploy(t, stdout)
	if out.ChainID != 84532 || out.Network != "eip155:84532" {
		t.Errorf("chain %d %q, want 84532 eip155:84532", out.ChainID, out.Network)
	}
	if out.Deployer != c.Accounts[0].Address.Hex() {
		t.Errorf("deployer %s, want dev account 0", out.Deployer)
	}
	token := common.HexToAddress(out.Token.Address)
	if out.Token.Address != token.Hex() || token == c.Token || token == (common.Address{}) {
		t.Errorf("token %q: want a new checksummed address", out.Token.Address)
	}
	if out.Token.Name != "USD Coin" || out.Token.Version != "2" || out.Token.Decimals != 6 || out.Token.Symbol != "USDC" {
		t.Errorf("token metadata %+v", out.Token)
	}
	if out.Contracts["TestUSDC"] != out.Token.Address || len(out.Contracts) != 7 {
		t.Errorf("contracts %v, want TestUSDC, the 5 escrow contracts and Multicall3", out.Contracts)
	}
	// The dev chain has Multicall3 from genesis: found, not placed again.
	if out.Contracts["Multicall3"] != "0xcA11bde05977b3631167028862bE2a173976CA11" {
		t.Errorf("Multicall3 %q, want the canonical address", out.Contracts["Multicall3"])
	}
	ec, err := ethclient.Dial(c.RPCURL)
	if err != nil {
		t.Fatal(err)
	}
	defer ec.Close()
	esc := devchain.EscrowContracts{
		Escrow: common.HexToAddress(out.Contracts["AuthCaptureEscrow"]), TokenStoreImplementation: common.HexToAddress(out.Contracts["TokenStoreImplementation"]),
		ERC3009Collector: common.HexToAddress(out.Contracts["ERC3009PaymentCollector"]), RefundCollector: common.HexToAddress(out.Contracts["OperatorRefundCollector"]),
		Multicall3: common.HexToAddress(out.Contracts["Multicall3Lite"]),
	}
	if err := devchain.CheckEscrow(context.Background(), ec, esc); err != nil {
		t.Errorf("escrow deployment: %v", err)
	}
	if out.Minted.Amount != "1000000000000" || len(out.Minted.To) != 10 {
		t.Fatalf("minted %+v, want 1000000000000 units to 10 dev accounts", out.Minted)
	}
	for i, a := range c.Accounts {
		if out.Minted.To[i] != a.Address.Hex() {
			t.Errorf("minted to[%d] = %s, want dev account %d", i, out.Minted.To[i], i)
		}
		if got := tokenBalance(t, c.RPCURL, token, a.Address); got.Cmp(big.NewInt(1_000_000_000_000)) != 0 {
			t.Errorf("dev account %d holds %s units of the new token", i, got)
		}
	}
}

func TestDevchainDeployKeyFileMintToAmount(t *testing.T) {
	c := startRPCChain(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("0x"+devAccount0Key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a, b := "0x000000000000000000000000000000000000dEaD", strings.ToLower(c.Accounts[5].Address.Hex())
	stdout, stderr, code := runX402(t, "", "devchain", "deploy", "--rpc", c.RPCURL, "--key-file", keyFile,
		"--mint-to", a+","+b, "--amount", "2.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := decodeDeploy(t, stdout)
	token := common.HexToAddress(out.Token.Address)
	if out.Minted.Amount != "2500000" || len(out.Minted.To) != 2 {
		t.Fatalf("minted %+v", out.Minted)
	}
	for _, addr := range []string{a, b} {
		if got := tokenBalance(t, c.RPCURL, token, common.HexToAddress(addr)); got.Cmp(big.NewInt(2_500_000)) != 0 {
			t.Errorf("%s holds %s units, want 2500000", addr, got)
		}
	}
	if got := tokenBalance(t, c.RPCURL, token, c.Accounts[1].Address); got.Sign() != 0 {
		t.Errorf("dev account 1 got %s units without being named", got)
	}

	// Raw units, and 0 for a deployment without mints.
	stdout, stderr, code = runX402(t, "", "devchain", "deploy", "--rpc", c.RPCURL, "--dev-account", "3", "--mint-to", a, "--amount", "7 units")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if out := decodeDeploy(t, stdout); out.Minted.Amount != "7" || out.Deployer != c.Accounts[3].Address.Hex() {
		t.Errorf("units: %+v", out)
	}
	stdout, stderr, code = runX402(t, "", "devchain", "deploy", "--rpc", c.RPCURL, "--amount", "0", "--escrow=false", "--multicall3=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out = decodeDeploy(t, stdout)
	if len(out.Contracts) != 1 {
		t.Errorf("--escrow=false --multicall3=false deployed %v", out.Contracts)
	}
	if got := tokenBalance(t, c.RPCURL, common.HexToAddress(out.Token.Address), c.Accounts[0].Address); got.Sign() != 0 {
		t.Errorf("--amount 0 minted %s units", got)
	}
}

func TestDevchainDeployErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no rpc", []string{"devchain", "deploy"}, exitUsage, "--rpc URL is required"},
		{"bad rpc", []string{"devchain", "deploy", "--rpc", "localhost:8545"}, exitUsage, "--rpc: want"},
		{"both keys", []string{"devchain", "deploy", "--rpc", "http://127.0.0.1:1", "--dev-account", "1", "--key-file", "k"}, exitUsage, "exclude each other"},
		{"bad mint-to", []string{"devchain", "deploy", "--rpc", "http://127.0.0.1:1", "--mint-to", "0x12"}, exitUsage, "--mint-to"},
		{"bad amount", []string{"devchain", "deploy", "--rpc", "http://127.0.0.1:1", "--amount", "1.0000001"}, exitUsage, "--amount"},
		{"extra arg", []string{"devchain", "deploy", "--rpc", "http://127.0.0.1:1", "now"}, exitUsage, "takes no arguments"},
		{"unknown subcommand", []string{"devchain", "destroy"}, exitUsage, "unknown subcommand"},
		{"unknown flag", []string{"devchain", "deploy", "--rpcc", "x"}, exitUsage, "unknown flag"},
		// Nothing listens on port 1; the secret in the URL must not be echoed.
		{"unreachable", []string{"devchain", "deploy", "--rpc", "http://127.0.0.1:1/v2/SECRETKEY", "--timeout", "3s"}, exitFailure, "http://127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runX402(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			if strings.Contains(stderr, "SECRETKEY") {
				t.Errorf("stderr shows the RPC URL's secret: %q", stderr)
			}
		})
	}
}
