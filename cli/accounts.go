package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/caddy-x402/x402/facilitator/devchain"
	"github.com/caddy-x402/x402/policies"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/spf13/cobra"
)

func accountsCommand(exit exitFunc) *cobra.Command {
	var rpc string
	var count int
	cmd := &cobra.Command{
		Use:                   "accounts [--rpc URL] [--count N]",
		Short:                 "Lists the dev chain's accounts and balances (never keys)",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exit(cmd, usagef(cmd, "takes no arguments"))
			}
			if count < 1 || count > maxDevAccount {
				return exit(cmd, usagef(cmd, "--count must be between 1 and %d", maxDevAccount))
			}
			return exit(cmd, runAccounts(cmd, rpc, count))
		},
	}
	cmd.Flags().StringVar(&rpc, "rpc", "http://127.0.0.1:8545", "JSON-RPC `URL` of the dev chain (served by the demo)")
	cmd.Flags().IntVar(&count, "count", 10, "number of accounts to list")
	return cmd
}

func runAccounts(cmd *cobra.Command, rpc string, count int) int {
	accounts, err := devchain.DevAccounts(count)
	if err != nil {
		return failf(cmd, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ec, err := ethclient.DialContext(ctx, rpc)
	if err == nil {
		if _, err = ec.ChainID(ctx); err != nil {
			ec.Close()
		}
	}
	out := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	if err != nil {
		fmt.Fprintln(out, "INDEX\tADDRESS")
		for _, a := range accounts {
			fmt.Fprintf(out, "%d\t%s\n", a.Index, a.Address.Hex())
		}
		_ = out.Flush()
		fmt.Fprintf(cmd.ErrOrStderr(), "no dev chain answers at %s; balances need the demo running (go run ./cmd/caddy run)\n", rpc)
		return 0
	}
	defer ec.Close()
	fmt.Fprintln(out, "INDEX\tADDRESS\tETH\tUSDC")
	for _, a := range accounts {
		eth, usdc := "-", "-"
		if wei, err := ec.BalanceAt(ctx, a.Address, nil); err == nil {
			eth = policies.FormatUnits(wei, 18)
		}
		if units, err := devchain.BalanceOf(ctx, ec, devchain.DevTokenAddress, a.Address); err == nil {
			usdc = policies.FormatUnits(units, 6)
		}
		fmt.Fprintf(out, "%d\t%s\t%s\t%s\n", a.Index, a.Address.Hex(), eth, usdc)
	}
	_ = out.Flush()
	return 0
}
