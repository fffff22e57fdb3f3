// Command loadgen is the load generator and helper of examples/bench/run.
// Off-the-shelf tools (hey, wrk, vegeta) send one fixed header set, so they
// cannot pay: every x402 payment buys one response, and a replayed header
// is refused. loadgen pre-signs a distinct payment per request before the
// clock starts, then sends a fixed number of requests at a fixed
// concurrency and reports requests per second and latency percentiles. It
// is used for every row of the benchmark, the unpaid ones included, so the
// rows compare like for like.
//
//	loadgen run -url URL -mode plain|unpaid|exact|escrow -n 20000 -c 32 [-payers 3,4,5] [-label L] [-out FILE]
//	loadgen report FILE [CHAIN]    the tables of results (JSON lines) with ratios, and of chain costs
//	loadgen ports N                N free loopback TCP ports
//	loadgen keyfile -account I -out FILE   a dev account's key in a 0600 file
//	loadgen drain -admin URL       wait until the settlement queues are empty (prints seconds and backlog)
//	loadgen balance -rpc URL -token ADDR -owner ADDR
//	loadgen block -rpc URL         the latest block number
//	loadgen chain -rpc URL -token ADDR -payee ADDR -from N [-to N] -label L [-out FILE]
//	                               payments to payee, their transactions and gas, counted from the blocks
//
// Keys are the dev accounts of the public test mnemonic (anvil's); they are
// never printed.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "run":
		err = cmdRun(args)
	case "report":
		err = cmdReport(args)
	case "ports":
		err = cmdPorts(args)
	case "keyfile":
		err = cmdKeyfile(args)
	case "address":
		err = cmdAddress(args)
	case "drain":
		err = cmdDrain(args)
	case "balance":
		err = cmdBalance(args)
	case "block":
		err = cmdBlock(args)
	case "chain":
		err = cmdChain(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadgen run|report|ports|keyfile|address|drain|balance|block|chain [flags] (see the package documentation)")
	os.Exit(2)
}
