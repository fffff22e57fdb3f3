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
# Contracts that share Solidity structs go into one file, "TypeA+TypeB+...:file.go",
# bound in one abigen run so that each struct type is declared once.
BINDINGS=(
	"TestUSDC:testusdc.gen.go"
	"TestWallet1271:testwallet1271.gen.go"
	"AuthCaptureEscrow+TokenStore+ERC3009PaymentCollector+OperatorRefundCollector+Multicall3Lite+TestHostileCollector:escrow.gen.go"
	"TestWalletFactory:testwalletfactory.gen.go"
	"Multicall3:multicall3.gen.go"
)

npm ci --no-audit --no-fund --loglevel=error
node compile.js

for entry in "${BINDINGS[@]}"; do
	type="${entry%%:*}"
	out="${entry#*:}"
	if [[ "$type" == *+* ]]; then
		# Several contracts: hand abigen a combined JSON built from build/.
		combined="$(mktemp)"
		trap 'rm -f "$combined"' EXIT
		node -e '
			const fs = require("fs");
			const contracts = {};
			for (const t of process.argv[1].split("+")) {
				contracts[t] = {
					abi: JSON.parse(fs.readFileSync("build/" + t + ".abi", "utf8")),
					bin: fs.readFileSync("build/" + t + ".bin", "utf8").trim(),
				};
			}
			fs.writeFileSync(process.argv[2], JSON.stringify({ contracts }));
		' "$type" "$combined"
		go tool abigen --v2 --pkg contracts --combined-json "$combined" --out "$out"
		rm -f "$combined"
	else
		go tool abigen --v2 --pkg contracts --type "$type" \
			--abi "build/$type.abi" --bin "build/$type.bin" --out "$out"
	fi
	echo "abigen: $type -> $out"
done
