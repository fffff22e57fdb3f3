package caddymodule

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

var update = flag.Bool("update", false, "rewrite the golden JSON of the adapt tests")

func adapt(t *testing.T, src string) (string, error) {
	t.Helper()
	out, warn, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		return "", err
	}
	for _, w := range warn {
		t.Logf("adapt warning: %s", w.Message)
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(v, "", "\t")
	return string(pretty) + "\n", nil
}

// Caddyfile → JSON golden tests (go test ./caddymodule -run Adapt -update
// rewrites the goldens after an intended change; review the diff).
func TestAdaptGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/adapt/*.caddyfile")
	if len(files) < 3 {
		t.Fatalf("golden inputs missing: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, _ := os.ReadFile(f)
			got, err := adapt(t, string(src))
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(f, ".caddyfile") + ".json"
			if *update {
				_ = os.WriteFile(golden, []byte(got), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("adapted JSON differs from %s:\n%s", golden, got)
			}
			if strings.Contains(got, "0xac0974") || strings.Contains(got, "Bearer s") {
				t.Fatal("a secret leaked into the JSON")
			}
		})
	}
}

// Caddyfile mistakes are reported with the offending token quoted.
func TestCaddyfileErrors(t *testing.T) {
	site := func(block string) string {
		return "{\n\tx402 {\n\t\tnetwork dev\n\t}\n}\n:8080 {\n" + block + "\n}\n"
	}
	global := func(block string) string { return "{\n\tx402 {\n" + block + "\n\t}\n}\n:8080 {\n\trespond ok\n}\n" }
	const pay = "pay_to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
	for _, tc := range []struct{ name, src, want string }{
		{"duplicate price", site("x402 {\nprice 1\nprice 2\n" + pay + "\n}"), `duplicate option "price"`},
		{"unknown route option", site("x402 {\nprice 1\n" + pay + "\ncolour blue\n}"), `unknown option "colour"`},
		{"missing price", site("x402 {\n" + pay + "\n}"), "price and pay_to are required"},
		{"bad settle mode", site("x402 {\nprice 1\n" + pay + "\nsettle later\n}"), `settle "later"`},
		{"bad duration", site("x402 {\nprice 1\n" + pay + "\nsettle_delay soon\n}"), `"soon" is not a duration`},
		{"chargeable without matcher", site("x402 {\nprice 1\n" + pay + "\nchargeable\n}"), "chargeable needs"},
		{"two profiles args", site("x402 a b"), "wrong argument count"},
		{"duplicate global facilitator", global("network dev\nfacilitator embedded\nfacilitator embedded"), `duplicate option "facilitator"`},
		{"unknown global option", global("network dev\nspeed fast"), `unknown option "speed"`},
		{"unknown facilitator mode", global("network dev\nfacilitator magic"), `unknown mode "magic"`},
		{"remote without url", global("network dev\nfacilitator remote"), "at least one URL"},
		{"key and key_file", global("network dev\nfacilitator embedded {\nkey a\nkey_file b\n}"), "not both"},
		{"key in remote mode", global("network dev\nfacilitator remote https://x {\nkey a\n}"), `unknown option "key"`},
		{"chain_id on base", global("network base {\nchain_id 5\n}"), "only apply to the dev network"},
		{"bad chain id", global("network dev {\nchain_id zero\n}"), `chain_id "zero"`},
		{"duplicate rpc", global("network base {\nrpc a\nrpc b\n}"), `duplicate option "rpc"`},
		{"duplicate profile", global("network dev\nprofile p {\nprice 1\n}\nprofile p {\nprice 2\n}"), `profile "p" is defined twice`},
		{"asset duplicate name", global("network base {\nasset 0x1111111111111111111111111111111111111111 {\nname a\nname b\n}\n}"), `duplicate option "name"`},
		{"unknown store option", global("network dev\nstore redis redis://127.0.0.1:6379/0 {\ncolour blue\n}"), `unknown option "colour"`},
		{"store namespace twice", global("network dev\nstore redis redis://x {\nnamespace a b\n}"), "wrong argument count"},
		{"store without type", global("network dev\nstore"), "wrong argument count"},
		{"store redis without location", global("network dev\nstore redis {\nnamespace a\n}"), "a URL is required"},
		{"store redis url and cluster", global("network dev\nstore redis redis://x {\ncluster a:1\n}"), "give one of a URL"},
		{"store sentinel without address", global("network dev\nstore redis {\nsentinel primary\n}"), "sentinel needs the master name"},
		{"store sentinel password alone", global("network dev\nstore redis redis://x {\nsentinel_password p\n}"), "give one of a URL"},
		{"store redis journal off", global("network dev\nstore redis redis://x\njournal off"), "needs the journal"},
		{"store cluster db", global("network dev\nstore redis {\ncluster a:1\ndb 2\n}"), "only database 0"},
		{"store memory with options", global("network dev\nstore memory {\nnamespace a\n}"), "takes no options"},
		{"store memory with url", global("network dev\nstore memory redis://x"), "takes no URL"},
		{"store tls with value", global("network dev\nstore redis {\ncluster a:1\ntls yes\n}"), "wrong argument count"},
		{"store duplicate cluster", global("network dev\nstore redis {\ncluster a:1\ncluster b:1\n}"), `duplicate option "cluster"`},
		{"store bad recovery timeout", global("network dev\nstore redis redis://x {\nrecovery_timeout soon\n}"), "soon"},
		{"negative workers", global("network dev\nsettle_workers -1"), `"-1" is not a non-negative integer`},
		{"batch bogus argument", global("network dev {\nbatch on\n}"), "batch takes `off` or a block"},
		{"batch off with block", global("network dev {\nbatch off {\nsize 3\n}\n}"), "batch off takes no block"},
		{"batch size zero", global("network dev {\nbatch {\nsize 0\n}\n}"), "size must be at least 1"},
		{"batch unknown option", global("network dev {\nbatch {\nspeed 3\n}\n}"), `unknown option "speed"`},
		{"batch bad wait", global("network dev {\nbatch {\nwait soon\n}\n}"), `"soon" is not a duration`},
		{"replace_after zero", global("network dev {\nreplace_after 0\n}"), "not a positive number of blocks"},
		{"max fee unit", global("network dev {\nmax_fee_per_gas 5 ether\n}"), `unknown unit "ether"`},
		{"max fee fraction of wei", global("network dev {\nmax_fee_per_gas 1.5\n}"), "not a whole number of wei"},
		{"max fee too precise", global("network dev {\nmax_fee_per_gas 0.0000000001 gwei\n}"), "up to 9 decimals"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := adapt(t, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
