package caddymodule

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// FuzzCaddyfile adapts Caddyfiles whose x402 global option body and x402
// directive body are arbitrary: parsing must never panic (a mistake is an
// error naming the token). The committed corpus is in
// testdata/fuzz/FuzzCaddyfile. Run with
//
//	go test ./caddymodule -run '^$' -fuzz FuzzCaddyfile -fuzztime 30s
func FuzzCaddyfile(f *testing.F) {
	const pay = "price 0.01\npay_to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8\n"
	f.Add("network dev\n", pay)
	f.Add("network base-sepolia {\nrpc {env.RPC}\nasset 0x5FbDB2315678afecb367f032d93F642f64180aa3 {\nname \"USD Coin\"\nversion 2\ndecimals 6\n}\nreceipt_timeout 5s\nsimulate\n}\nfacilitator embedded {\nkey_file /k\n}\nstore redis redis://127.0.0.1:6379/0 {\nnamespace a\n}\njournal off\nqueue_capacity 3\nguard_capacity 9\nsettle_workers 2\nmax_validity 1h\ndrain_timeout 3s\n",
		pay+"scheme exact\nnetwork base-sepolia\nasset USDC\ndescription \"d\"\nmime_type text/plain\nmax_timeout 30s\nsettle header\nsettle_delay 1s\nsettle_timeout 5s\nchargeable 2xx 3xx\npayer_header X-P\nresource_url http://x/\nname r\n")
	f.Add("network dev {\nchain_id 84532\nrpc_listen 127.0.0.1:0\n}\nfacilitator remote https://a https://b {\nheader Authorization \"Bearer t\"\ntimeout 2s\n}\nprofile p {\n"+pay+"}\n", "")
	f.Add("network dev\nprofile p {\n"+pay+"}\n", "}\nx402 /a/* p")
	f.Add("network\n{\n}\n}", "price\npay_to\nsettle_delay -1s\nprice 1e999\n")
	f.Add("store memory extra args\nfacilitator embedded {\nkey a\nkey_file b\n}", "price \"10 units\"\nchargeable status 200 201")
	adapter := caddyconfig.GetAdapter("caddyfile")
	f.Fuzz(func(t *testing.T, global, route string) {
		// import reads files and snippets recursion; it is Caddy's, not ours.
		if strings.Contains(global, "import") || strings.Contains(route, "import") {
			return
		}
		src := "{\n\tx402 {\n" + global + "\n\t}\n}\n:8080 {\n\tx402 /paid/* {\n" + route + "\n\t}\n\trespond ok\n}\n"
		_, _, _ = adapter.Adapt([]byte(src), map[string]any{"filename": "Caddyfile"})
	})
}
