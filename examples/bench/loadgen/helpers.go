package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// cmdPorts prints N free loopback ports (bound together, then released).
func cmdPorts(args []string) error {
	n := 1
	if len(args) > 0 {
		var err error
		if n, err = strconv.Atoi(args[0]); err != nil || n < 1 {
			return fmt.Errorf("want a count, got %q", args[0])
		}
	}
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, ln)
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	}
	return nil
}

// cmdKeyfile writes a dev account's private key (hex) to a 0600 file.
func cmdKeyfile(args []string) error {
	fs := flag.NewFlagSet("keyfile", flag.ExitOnError)
	account := fs.Int("account", -1, "dev account `INDEX`")
	out := fs.String("out", "", "`FILE` to write (mode 0600)")
	_ = fs.Parse(args)
	if *account < 0 || *out == "" {
		return errors.New("-account and -out are required")
	}
	accts, err := devchain.DevAccounts(*account + 1)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%x\n", crypto.FromECDSA(accts[*account].Key))
	if err := os.WriteFile(*out, []byte(key), 0o600); err != nil {
		return err
	}
	return os.Chmod(*out, 0o600)
}

// cmdAddress prints a dev account's address.
func cmdAddress(args []string) error {
	fs := flag.NewFlagSet("address", flag.ExitOnError)
	account := fs.Int("account", -1, "dev account `INDEX`")
	_ = fs.Parse(args)
	if *account < 0 {
		return errors.New("-account is required")
	}
	accts, err := devchain.DevAccounts(*account + 1)
	if err != nil {
		return err
	}
	fmt.Println(accts[*account].Address.Hex())
	return nil
}

// cmdDrain waits until every x402 runtime of the Caddy whose admin endpoint
// is given has an empty settlement queue, and prints how long that took in
// seconds and the queue's length when it started (the backlog).
func cmdDrain(args []string) error {
	fs := flag.NewFlagSet("drain", flag.ExitOnError)
	admin := fs.String("admin", "", "Caddy admin `URL` (http://127.0.0.1:2019)")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	_ = fs.Parse(args)
	start := time.Now()
	deadline := start.Add(*timeout)
	backlog := -1
	for {
		n, err := queueLength(*admin)
		if err == nil && backlog < 0 {
			backlog = n
		}
		if err == nil && n == 0 {
			fmt.Printf("%.2f %d\n", time.Since(start).Seconds(), backlog)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("settlement queue still holds %d after %s (last error: %v)", n, *timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func queueLength(admin string) (int, error) {
	resp, err := http.Get(admin + "/x402/stats")
	if err != nil {
		return -1, err
	}
	defer resp.Body.Close()
	var st struct {
		Runtimes []struct {
			QueueLength int `json:"settlement_queue_length"`
		} `json:"runtimes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return -1, err
	}
	n := 0
	for _, r := range st.Runtimes {
		n += r.QueueLength
	}
	return n, nil
}

// cmdBalance prints owner's balance of token (units).
func cmdBalance(args []string) error {
	fs := flag.NewFlagSet("balance", flag.ExitOnError)
	rpc := fs.String("rpc", "", "JSON-RPC `URL`")
	token := fs.String("token", "", "token `ADDRESS`")
	owner := fs.String("owner", "", "owner `ADDRESS`")
	_ = fs.Parse(args)
	t, err1 := evm.ParseAddress(*token)
	o, err2 := evm.ParseAddress(*owner)
	if err1 != nil || err2 != nil {
		return errors.New("-token and -owner must be addresses")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, *rpc)
	if err != nil {
		return err
	}
	defer ec.Close()
	bal, err := evm.BalanceOf(ctx, ec, t, o)
	if err != nil {
		return err
	}
	fmt.Println(bal.Dec())
	return nil
}
