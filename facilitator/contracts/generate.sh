#!/usr/bin/env bash
# Regenerates everything derived from src/*.sol: installs the pinned compiler
# (npm ci, from package-lock.json), compiles every source into build/, then
# writes one abigen v2 binding per contract listed in BINDINGS.
#
# Run: go generate ./facilitator/contracts   (or bash facilitator/contracts/generate.sh)
# Needs node/npm and the Go toolchain; abigen is the module tool pinned in go.mod.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# The contracts that get Go bindings, one "Type:file.go" each. Add new contracts here.
BINDINGS=(
	"TestUSDC:testusdc.gen.go"
	"TestWallet1271:testwallet1271.gen.go"
)

npm ci --no-audit --no-fund --loglevel=error
node compile.js

for entry in "${BINDINGS[@]}"; do
	type="${entry%%:*}"
	out="${entry#*:}"
	go tool abigen --v2 --pkg contracts --type "$type" \
		--abi "build/$type.abi" --bin "build/$type.bin" --out "$out"
	echo "abigen: $type -> $out"
done
