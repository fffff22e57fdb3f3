package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/caddy-x402/x402/facilitator/evm"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// ChainResult is what one row's settlement cost on chain (one JSON line in
// the chain results file), counted from the blocks themselves.
type ChainResult struct {
	Label string `json:"label"`
	Key   string `json:"key,omitempty"` // names the row for the targets (after, header32, single, official)
	// Payments: Transfer logs of the token to the row's payee; Txs: the
	// transactions that carry them; Gas: those transactions' gasUsed.
	Payments int    `json:"payments"`
	Txs      int    `json:"txs"`
	Gas      uint64 `json:"gas"`
	// MaxPerTx is the most payments one transaction carried.
	MaxPerTx int `json:"max_per_tx"`
	// FromBlock and ToBlock are the blocks read.
	FromBlock uint64 `json:"from_block"`
	ToBlock   uint64 `json:"to_block"`
	// Backlog is the settlement queue's length when the row's requests
	// ended, Drain the seconds it took to empty (-1 when not measured).
	Backlog int     `json:"backlog"`
	Drain   float64 `json:"drain_s"`
	Note    string  `json:"note,omitempty"`
}

var transferTopic = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))

// cmdBlock prints the chain's latest block number.
func cmdBlock(args []string) error {
	fs := flag.NewFlagSet("block", flag.ExitOnError)
	rpcURL := fs.String("rpc", "", "JSON-RPC `URL`")
	_ = fs.Parse(args)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, *rpcURL)
	if err != nil {
		return err
	}
	defer ec.Close()
	n, err := ec.BlockNumber(ctx)
	if err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}

// cmdChain counts, in blocks from..to, the transfers of token to payee, the
// transactions that made them and their gas, and appends the result to a
// JSON lines file.
func cmdChain(args []string) error {
	fs := flag.NewFlagSet("chain", flag.ExitOnError)
	rpcURL := fs.String("rpc", "", "JSON-RPC `URL`")
	token := fs.String("token", "", "token `ADDRESS`")
	payee := fs.String("payee", "", "the row's payee `ADDRESS`")
	from := fs.Uint64("from", 0, "first `BLOCK`")
	to := fs.Uint64("to", 0, "last `BLOCK` (default: latest)")
	label := fs.String("label", "", "row label")
	key := fs.String("key", "", "row key for the report's targets (after, header32, header256, single, official)")
	note := fs.String("note", "", "free text for the report")
	backlog := fs.Int("backlog", 0, "settlement queue length when the row ended")
	drain := fs.Float64("drain", -1, "seconds the queue took to empty")
	out := fs.String("out", "", "append the result as a JSON line to `FILE`")
	_ = fs.Parse(args)
	t, err1 := evm.ParseAddress(*token)
	p, err2 := evm.ParseAddress(*payee)
	if err1 != nil || err2 != nil || *label == "" {
		return errors.New("-token, -payee and -label are required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, *rpcURL)
	if err != nil {
		return err
	}
	defer ec.Close()
	if *to == 0 {
		if *to, err = ec.BlockNumber(ctx); err != nil {
			return err
		}
	}
	r := ChainResult{Label: *label, Key: *key, FromBlock: *from, ToBlock: *to, Backlog: *backlog, Drain: *drain, Note: *note}
	payeeTopic := common.BytesToHash(p.Bytes())
	for n := *from; n <= *to; n++ {
		rcpts, err := ec.BlockReceipts(ctx, rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(new(big.Int).SetUint64(n).Int64())))
		if err != nil {
			return fmt.Errorf("receipts of block %d: %w", n, err)
		}
		for _, rc := range rcpts {
			k := 0
			for _, l := range rc.Logs {
				if l.Address == t && len(l.Topics) == 3 && l.Topics[0] == transferTopic && l.Topics[2] == payeeTopic {
					k++
				}
			}
			if k > 0 {
				r.Payments += k
				r.Txs++
				r.Gas += rc.GasUsed
				r.MaxPerTx = max(r.MaxPerTx, k)
			}
		}
	}
	line, _ := json.Marshal(r)
	fmt.Println(string(line))
	if *out == "" {
		return nil
	}
	fh, err := os.OpenFile(*out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fh.Write(append(line, '\n'))
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	return err
}
