package caddymodule

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// rpcIdleConns is how many idle connections to one chain RPC endpoint are
// kept open. Settlement workers (settle_workers, default 8), the escrow
// operator and the funds check all call the RPC concurrently, several calls
// per payment; go-ethereum's default HTTP client keeps net/http's default
// of 2 idle connections per host, so under load nearly every call dialled
// a new connection (and against an https endpoint, made a new TLS
// handshake): 17 % of Caddy's CPU while settling, in the benchmark's profile.
const rpcIdleConns = 256

// dialRPC connects to a chain's JSON-RPC endpoint; http(s) endpoints get a
// client that keeps its connections alive.
func dialRPC(url string) (*ethclient.Client, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return ethclient.Dial(url)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = rpcIdleConns
	tr.MaxIdleConnsPerHost = rpcIdleConns
	tr.IdleConnTimeout = 90 * time.Second
	c, err := rpc.DialOptions(context.Background(), url, rpc.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return nil, err
	}
	return ethclient.NewClient(c), nil
}
