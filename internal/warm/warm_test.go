package warm

import (
	_ "github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	_ "github.com/ethereum/go-ethereum/ethclient/simulated"
	_ "github.com/ethereum/go-ethereum/signer/core/apitypes"
	_ "github.com/ethereum/go-ethereum/ethclient"
	_ "github.com/hashicorp/golang-lru/v2/expirable"
	_ "github.com/redis/go-redis/v9"
	_ "go.etcd.io/bbolt"
	_ "go.uber.org/zap"
	_ "github.com/prometheus/client_golang/prometheus"
)
