package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/caddy-x402/x402/sidecar"
	"github.com/spf13/cobra"
)

// sidecarCommand prints the Caddyfile the sidecar's environment means: what
// `caddy run --adapter x402env` runs when no Caddyfile is mounted.
func sidecarCommand(exit exitFunc) *cobra.Command {
	return &cobra.Command{
		Use:   "sidecar",
		Short: "Prints the Caddyfile that the X402_* environment configures (the sidecar's config)",
		Long: `Reads the X402_* environment variables of the sidecar (README, "Sidecar")
and prints the Caddyfile they translate to, which
caddy run --adapter x402env --config <blank file> runs. A wrong variable is
reported by name (exit status 2); secrets appear only as {env.…}
placeholders.`,
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exit(cmd, usagef(cmd, "takes no arguments, got %q", args[0]))
			}
			env := map[string]string{}
			for _, kv := range os.Environ() {
				if k, v, ok := strings.Cut(kv, "="); ok {
					env[k] = v
				}
			}
			text, err := sidecar.Caddyfile(env)
			if err != nil {
				return exit(cmd, usagef(cmd, "%v", err))
			}
			fmt.Fprint(cmd.OutOrStdout(), text)
			return exit(cmd, 0)
		},
	}
}
