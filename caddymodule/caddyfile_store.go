package caddymodule

import "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

// parseStoreBlock reads the options of `store redis [<url>] { … }`.
func parseStoreBlock(d *caddyfile.Dispenser, st *StoreConfig) error {
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] {
			return d.Errf("x402 store: duplicate option %q", opt)
		}
		seen[opt] = true
		var err error
		switch opt {
		case "namespace":
			err = oneArg(d, &st.Namespace)
		case "username":
			err = oneArg(d, &st.Username)
		case "password":
			err = oneArg(d, &st.Password)
		case "sentinel":
			args, aerr := someArgs(d)
			if aerr != nil || len(args) < 2 {
				return d.Err("x402 store: sentinel needs the master name and at least one sentinel address (sentinel <master> <host:port>...)")
			}
			if st.Sentinel == nil {
				st.Sentinel = &SentinelConfig{}
			}
			st.Sentinel.Master, st.Sentinel.Addrs = args[0], args[1:]
		case "sentinel_username", "sentinel_password":
			if st.Sentinel == nil {
				st.Sentinel = &SentinelConfig{}
			}
			if opt == "sentinel_username" {
				err = oneArg(d, &st.Sentinel.Username)
			} else {
				err = oneArg(d, &st.Sentinel.Password)
			}
		case "cluster":
			st.Cluster, err = someArgs(d)
		case "db":
			err = intArg(d, &st.DB)
		case "tls":
			if d.NextArg() {
				return d.ArgErr()
			}
			st.TLS = true
		case "recovery_timeout":
			err = durationArg(d, &st.RecoveryTimeout)
		default:
			return d.Errf("x402 store: unknown option %q (want namespace, sentinel, cluster, username, password, sentinel_username, sentinel_password, db, tls or recovery_timeout)", opt)
		}
		if err != nil {
			return err
		}
	}
	if st.Type == "memory" && len(seen) > 0 {
		return d.Err("x402 store memory takes no options")
	}
	return nil
}
