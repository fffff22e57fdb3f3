package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// DefaultHealthPort is where the sidecar serves /live and /ready
// (X402_HEALTH_PORT overrides it, for the sidecar and for this command).
const DefaultHealthPort = "9402"

// defaultHealthURL is the sidecar's readiness endpoint on this host.
func defaultHealthURL() string {
	port := os.Getenv("X402_HEALTH_PORT")
	if port == "" {
		port = DefaultHealthPort
	}
	return "http://127.0.0.1:" + port + "/ready"
}

// healthCommand probes a health endpoint: what a container HEALTHCHECK
// runs in an image that has no curl.
func healthCommand(exit exitFunc) *cobra.Command {
	var target string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health [--url URL] [--timeout 3s]",
		Short: "Probes a health endpoint (default: the sidecar's readiness); exit 0 when it answers 200",
		Long: `Sends GET to --url (default http://127.0.0.1:$X402_HEALTH_PORT/ready, port 9402
when unset: the readiness endpoint of the sidecar, served by the x402_health
handler) and prints its answer. Exit status 0 when it answers 200, 1
otherwise (not ready, or no answer within --timeout). A container
HEALTHCHECK runs it, since the image has no curl.`,
		Args:                  cobra.ArbitraryArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return exit(cmd, usagef(cmd, "takes no arguments, got %q", args[0]))
			}
			return exit(cmd, runHealth(cmd, target, timeout))
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "health endpoint `URL` (default http://127.0.0.1:$X402_HEALTH_PORT/ready, port "+DefaultHealthPort+")")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "`TIMEOUT` of the probe")
	return cmd
}

func runHealth(cmd *cobra.Command, target string, timeout time.Duration) int {
	if target == "" {
		target = defaultHealthURL()
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef(cmd, "--url %q is not an http:// or https:// URL", target)
	}
	if timeout <= 0 {
		return usagef(cmd, "--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usagef(cmd, "%v", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return failf(cmd, "%s: %v", u.Redacted(), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(string(body)))
	if resp.StatusCode != http.StatusOK {
		return failf(cmd, "%s answered HTTP %d", u.Redacted(), resp.StatusCode)
	}
	return 0
}
