package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// cmdReport prints the results file as a Markdown table: each row's
// throughput and latency, its ratio to the plain proxy, and our rows'
// ratios to the official stack's; then, given a chain results file, what
// each row's settlement cost on chain, and the targets of the benchmark.
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	blockTime := fs.Float64("block-time", 0, "the chain's block interval in `SECONDS` (for the header targets)")
	_ = fs.Parse(args)
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return errors.New("usage: loadgen report [-block-time S] RESULTS.jsonl [CHAIN.jsonl]")
	}
	var rows []Result
	if err := readLines(fs.Arg(0), &rows); err != nil {
		return err
	}
	var chain []ChainResult
	if fs.NArg() == 2 {
		if err := readLines(fs.Arg(1), &chain); err != nil {
			return err
		}
	}
	find := func(group, mode string) *Result {
		for i := range rows {
			if rows[i].Group == group && rows[i].Mode == mode {
				return &rows[i]
			}
		}
		return nil
	}
	plain := find("ours", "plain")
	official := find("official", "exact")
	officialUnpaid := find("official", "unpaid")

	fmt.Println("| row | requests × concurrency | req/s | p50 ms | p99 ms | answered as expected | vs plain proxy | vs official paid |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |")
	for _, r := range rows {
		vsPlain, vsOfficial := "", ""
		if plain != nil && r.Mode != "plain" && plain.RPS > 0 {
			vsPlain = fmt.Sprintf("%.0f %%", 100*r.RPS/plain.RPS)
		}
		if official != nil && r.Group == "ours" && official.RPS > 0 && (r.Mode == "exact" || r.Mode == "escrow") {
			vsOfficial = fmt.Sprintf("%.0f×", r.RPS/official.RPS)
		}
		if officialUnpaid != nil && r.Group == "ours" && r.Mode == "unpaid" && officialUnpaid.RPS > 0 {
			vsOfficial = fmt.Sprintf("%.1f× (vs its 402s)", r.RPS/officialUnpaid.RPS)
		}
		label := r.Label
		if r.Note != "" {
			label += " — " + r.Note
		}
		fmt.Printf("| %s | %d × %d | %.0f | %.2f | %.2f | %d/%d | %s | %s |\n",
			label, r.N, r.C, r.RPS, r.P50, r.P99, r.OK, r.N, vsPlain, vsOfficial)
	}
	printCPU(rows)
	printChain(chain)
	printTargets(rows, chain, *blockTime)
	return nil
}

// readLines reads a JSON lines file into out (a pointer to a slice).
func readLines[T any](path string, out *[]T) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		*out = append(*out, v)
	}
	return sc.Err()
}

// printCPU prints the CPU time per request of each measured process: on a
// machine this small the load generator, upstream and chain share the cores
// with the proxy, so the proxy's own cost per request is the figure that
// carries over to a larger one.
func printCPU(rows []Result) {
	cols := []string{"proxy", "upstream", "chain", "facilitator", "loadgen"}
	seen := map[string]bool{}
	for _, r := range rows {
		for k := range r.CPUus {
			seen[k] = true
		}
	}
	var use []string
	for _, c := range cols {
		if seen[c] {
			use = append(use, c)
		}
	}
	if len(use) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("CPU time per request, µs (user+system, over the timed requests; proxy = the Caddy or @x402/express process under load):")
	fmt.Println()
	fmt.Print("| row |")
	for _, c := range use {
		fmt.Printf(" %s |", c)
	}
	fmt.Println(" all |")
	fmt.Print("| --- |")
	for range use {
		fmt.Print(" ---: |")
	}
	fmt.Println(" ---: |")
	for _, r := range rows {
		if r.CPUus == nil {
			continue
		}
		fmt.Printf("| %s |", r.Label)
		all := 0.0
		for _, c := range use {
			if v, ok := r.CPUus[c]; ok {
				fmt.Printf(" %.0f |", v)
				all += v
			} else {
				fmt.Print("  |")
			}
		}
		fmt.Printf(" %.0f |\n", all)
	}
}
