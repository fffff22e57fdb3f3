package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/caddy-x402/x402/client"
	"github.com/caddy-x402/x402/policies"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The escrow side of the CLI: `pay --scheme escrow` opens a session on the
// first paid request and spends it on the next ones (sessions kept in a
// local JSON file, tokens never printed by the listing), `sessions` lists
// them and `sessions close ID` has the operator capture what was used and
// return the rest of the deposit.

// escrowFlags are the escrow flags of `caddy x402 pay`.
type escrowFlags struct {
	deposit       string
	sessionFile   string
	sessionLength time.Duration
	refundWindow  time.Duration
}

func addEscrowFlags(f *pflag.FlagSet, e *escrowFlags) {
	f.StringVar(&e.deposit, "deposit", "1.00", "escrow: deposit `AMOUNT` locked by a new session (of a 6-decimal token, or \"N units\")")
	f.StringVar(&e.sessionFile, "session-file", "", "escrow: sessions `FILE` (default $XDG_CONFIG_HOME/caddy-x402/sessions.json or ~/.config/caddy-x402/sessions.json)")
	f.DurationVar(&e.sessionLength, "session-length", client.DefaultSessionLength, "escrow: `DURATION` of a new session")
	f.DurationVar(&e.refundWindow, "refund-window", client.DefaultRefundWindow, "escrow: refund window `DURATION` after a new session's expiry")
}

// sessionStore opens --session-file or the default file.
func sessionStore(path string) (*client.SessionStore, error) {
	if path == "" {
		p, err := client.DefaultSessionFile()
		if err != nil {
			return nil, err
		}
		path = p
	}
	return client.OpenSessionStore(path), nil
}

// escrowOptions turns the flags into the client's escrow options.
func escrowOptions(e *escrowFlags) (*client.EscrowOptions, error) {
	deposit, err := policies.ParsePrice(e.deposit, 6)
	if err != nil || deposit.Sign() <= 0 {
		return nil, fmt.Errorf("--deposit %q: want a positive amount such as 1.00 or \"500000 units\"", e.deposit)
	}
	if e.sessionLength <= 0 || e.refundWindow <= 0 {
		return nil, fmt.Errorf("--session-length and --refund-window must be positive")
	}
	store, err := sessionStore(e.sessionFile)
	if err != nil {
		return nil, err
	}
	return &client.EscrowOptions{Sessions: store, Deposit: deposit, SessionLength: e.sessionLength, RefundWindow: e.refundWindow}, nil
}

func sessionsCommand(exit exitFunc) *cobra.Command {
	var file string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:                   "sessions [--session-file F] [--json] | sessions close [--session-file F] [--json] ID | sessions recover [--key-file F] ID",
		Short:                 "Lists the escrow sessions opened by `pay --scheme escrow`, closes one, or recovers a lost token",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exit(cmd, usagef(cmd, "unknown argument %q (want no argument, close ID or recover ID)", args[0]))
			}
			return exit(cmd, runSessions(cmd, file, jsonOut))
		},
	}
	cmd.PersistentFlags().StringVar(&file, "session-file", "", "sessions `FILE` (default $XDG_CONFIG_HOME/caddy-x402/sessions.json or ~/.config/caddy-x402/sessions.json)")
	cmd.PersistentFlags().BoolVar(&jsonOut, "json", false, "print JSON (never the tokens)")
	var timeout time.Duration
	closeCmd := &cobra.Command{
		Use:                   "close [--session-file F] [--json] [--timeout 2m] ID",
		Short:                 "Closes a session: the operator captures what was used and returns the rest to the payer",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return exit(cmd, usagef(cmd, "want exactly one session ID (or a unique prefix of it), got %d arguments", len(args)))
			}
			return exit(cmd, runSessionClose(cmd, file, args[0], timeout, jsonOut))
		},
	}
	closeCmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "`TIMEOUT` of the close request (it waits for the final capture and the void)")
	cmd.AddCommand(closeCmd)
	var devAccount int
	var keyFile string
	recoverCmd := &cobra.Command{
		Use:                   "recover [--dev-account N | --key-file F] [--session-file F] ID",
		Short:                 "Gets a new token for a session whose opening answer was lost (the payer's key signs a recovery)",
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return exit(cmd, usagef(cmd, "want exactly one session ID (or a unique prefix of it), got %d arguments", len(args)))
			}
			return exit(cmd, runSessionRecover(cmd, file, args[0], devAccount, keyFile))
		},
	}
	recoverCmd.Flags().IntVar(&devAccount, "dev-account", -1, "the payer is the embedded dev chain's account `N` (public test mnemonic)")
	recoverCmd.Flags().StringVar(&keyFile, "key-file", "", "the payer's hex private key in `FILE` (0x optional)")
	cmd.AddCommand(recoverCmd)
	return cmd
}

// runSessionRecover signs a recovery for a stored session (pending, or one
// whose token leaked) and stores the new token; the token is never printed.
func runSessionRecover(cmd *cobra.Command, file, id string, devAccount int, keyFile string) int {
	store, err := sessionStore(file)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	key, err := loadKey(devAccount, keyFile, cmd.ErrOrStderr())
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	c := &client.Client{Key: key, HTTP: &http.Client{Timeout: time.Minute}, Escrow: &client.EscrowOptions{Sessions: store}}
	s, err := c.RecoverSession(ctx, id)
	if err != nil {
		return failf(cmd, "%v", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "recovered session %s: new token stored, balance %s\n", s.ID, units(s.Balance))
	return 0
}

func runSessions(cmd *cobra.Command, file string, jsonOut bool) int {
	store, err := sessionStore(file)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	list, err := store.List()
	if err != nil {
		return failf(cmd, "%v", err)
	}
	if jsonOut {
		views := make([]client.SessionView, 0, len(list))
		for i := range list {
			views = append(views, list[i].View())
		}
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(views); err != nil {
			return failf(cmd, "%v", err)
		}
		return 0
	}
	if len(list) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "no escrow sessions in %s (caddy x402 pay --scheme escrow URL opens one)\n", store.Path())
		return 0
	}
	out := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(out, "ID\tSTATUS\tORIGIN\tRECEIVER\tBALANCE\tDEPOSIT\tEXPIRES")
	now := time.Now()
	for i := range list {
		s := &list[i]
		status := s.Status
		if status == client.SessionActive && !now.Before(time.Unix(s.ExpiresAt, 0)) {
			status = "expired"
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, status, s.Origin(), s.Receiver, units(s.Balance), units(s.Deposit), expiry(s.ExpiresAt, now))
	}
	_ = out.Flush()
	return 0
}

// units formats token units of a 6-decimal token ("-" when unknown).
func units(units string) string {
	n, ok := new(big.Int).SetString(units, 10)
	if !ok {
		return "-"
	}
	return policies.FormatUnits(n, 6)
}

// expiry is an expiry time with how far away it is.
func expiry(unix int64, now time.Time) string {
	t := time.Unix(unix, 0)
	d := t.Sub(now).Round(time.Minute)
	rel := "in " + d.String()
	if d < 0 {
		rel = (-d).String() + " ago"
	}
	return fmt.Sprintf("%s (%s)", t.UTC().Format(time.RFC3339), rel)
}

// closeJSON is the --json output of `sessions close`.
type closeJSON struct {
	ID       string `json:"id"`
	Payer    string `json:"payer"`
	Receiver string `json:"receiver"`
	Deposit  string `json:"deposit"`
	Captured string `json:"captured,omitempty"`
	Returned string `json:"returned,omitempty"`
	VoidTx   string `json:"voidTx,omitempty"`
}

func runSessionClose(cmd *cobra.Command, file, id string, timeout time.Duration, jsonOut bool) int {
	store, err := sessionStore(file)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	if timeout <= 0 {
		return usagef(cmd, "--timeout must be positive")
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	c := &client.Client{HTTP: &http.Client{Timeout: timeout}, Escrow: &client.EscrowOptions{Sessions: store}}
	res, err := c.CloseSession(ctx, id)
	if err != nil {
		return failf(cmd, "%v", err)
	}
	s := res.Session
	str := func(n *big.Int) string {
		if n == nil {
			return ""
		}
		return n.String()
	}
	if jsonOut {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(closeJSON{ID: s.ID, Payer: s.Payer, Receiver: s.Receiver, Deposit: s.Deposit,
			Captured: str(res.Captured), Returned: str(res.Returned), VoidTx: res.VoidTx}); err != nil {
			return failf(cmd, "%v", err)
		}
		return 0
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "closed session %s\n", s.ID)
	if res.Captured != nil {
		fmt.Fprintf(out, "  captured  %s to the receiver %s\n", units(res.Captured.String()), s.Receiver)
	}
	if res.Returned != nil {
		fmt.Fprintf(out, "  returned  %s of the %s deposit to the payer %s\n", units(res.Returned.String()), units(s.Deposit), s.Payer)
	}
	voidTx := res.VoidTx
	if voidTx == "" {
		voidTx = "none (nothing was left to return)"
	}
	fmt.Fprintf(out, "  void tx   %s\n", voidTx)
	return 0
}
