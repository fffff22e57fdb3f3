package main

import "fmt"

// printChain prints what each row's settlement cost on chain, counted from
// the blocks: payments, transactions, gas, and the backlog's drain.
func printChain(chain []ChainResult) {
	if len(chain) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("Settlement on chain (counted from the blocks: token transfers to the row's payee, the transactions carrying them, their gasUsed):")
	fmt.Println()
	fmt.Println("| row | payments | transactions | payments per tx (most) | tx per payment | gas per payment | backlog at row end | drained in s | drain settlements/s |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, c := range chain {
		label := c.Label
		if c.Note != "" {
			label += " — " + c.Note
		}
		perTx, txPer, gasPer := "", "", ""
		if c.Txs > 0 {
			perTx = fmt.Sprintf("%.1f (%d)", float64(c.Payments)/float64(c.Txs), c.MaxPerTx)
		}
		if c.Payments > 0 {
			txPer = fmt.Sprintf("%.3f", float64(c.Txs)/float64(c.Payments))
			gasPer = fmt.Sprintf("%.0f", float64(c.Gas)/float64(c.Payments))
		}
		backlog, drain, rate := "", "", ""
		if c.Drain >= 0 {
			backlog, drain = fmt.Sprint(c.Backlog), fmt.Sprintf("%.2f", c.Drain)
			if c.Drain > 0 {
				rate = fmt.Sprintf("%.0f", float64(c.Backlog)/c.Drain)
			}
		}
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", label, c.Payments, c.Txs, perTx, txPer, gasPer, backlog, drain, rate)
	}
}

// printTargets compares the run with the targets of issue 16.
func printTargets(rows []Result, chain []ChainResult, blockTime float64) {
	row := func(key string) *Result {
		for i := range rows {
			if rows[i].Key == key {
				return &rows[i]
			}
		}
		return nil
	}
	cost := func(key string) *ChainResult {
		for i := range chain {
			if chain[i].Key == key {
				return &chain[i]
			}
		}
		return nil
	}
	type target struct{ what, measured, verdict string }
	var ts []target
	add := func(what string, ok bool, measured string, args ...any) {
		v := "met"
		if !ok {
			v = "**not met**"
		}
		ts = append(ts, target{what, fmt.Sprintf(measured, args...), v})
	}
	plain := row("plain")
	if e := row("escrow"); plain != nil && e != nil && plain.RPS > 0 {
		r := e.RPS / plain.RPS
		add("escrow ≥ 0.90 × plain reverse_proxy", r >= 0.90, "%.2f (%.0f vs %.0f req/s)", r, e.RPS, plain.RPS)
	}
	if a := row("after"); plain != nil && a != nil && plain.RPS > 0 {
		r := a.RPS / plain.RPS
		add("exact settle after ≥ 0.60 × plain reverse_proxy", r >= 0.60, "%.2f (%.0f vs %.0f req/s)", r, a.RPS, plain.RPS)
	}
	if c := cost("after"); c != nil && c.Drain > 0 {
		rate := float64(c.Backlog) / c.Drain
		add("settle-after backlog drain ≥ 2,000 settlements/s", rate >= 2000, "%.0f/s (%d in %.2f s)", rate, c.Backlog, c.Drain)
	}
	if c := cost("after"); c != nil && c.Payments > 0 {
		r := float64(c.Txs) / float64(c.Payments)
		add("≤ 0.05 transactions per settled exact payment under load", r <= 0.05, "%.3f (%d transactions for %d payments)", r, c.Txs, c.Payments)
	}
	if blockTime > 0 {
		for _, k := range []string{"header32", "header256"} {
			h := row(k)
			if h == nil {
				continue
			}
			add(fmt.Sprintf("settle header p50 ≤ 1.2 × block time, %d concurrent", h.C), h.P50/1000 <= 1.2*blockTime,
				"p50 %.0f ms = %.2f × the %.0f ms block time", h.P50, h.P50/1000/blockTime, blockTime*1000)
		}
		if h := row("header256"); h != nil {
			want := 0.8 * float64(h.C) / blockTime
			add(fmt.Sprintf("settle header at %d concurrent ≥ 0.8 × (%d ÷ block time) = %.0f req/s", h.C, h.C, want), h.RPS >= want, "%.0f req/s", h.RPS)
		}
	}
	if len(ts) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("Targets (issue 16), this run:")
	fmt.Println()
	fmt.Println("| target | measured | |")
	fmt.Println("| --- | --- | --- |")
	for _, t := range ts {
		fmt.Printf("| %s | %s | %s |\n", t.what, t.measured, t.verdict)
	}
}
