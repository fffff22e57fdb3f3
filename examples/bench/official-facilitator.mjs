// The official x402 facilitator for the benchmark: x402Facilitator
// (@x402/core/facilitator) with the exact EVM scheme (@x402/evm), settling on
// the benchmark's anvil, serving POST /verify, POST /settle and GET
// /supported over HTTP for @x402/express's HTTPFacilitatorClient.
//
// It is the interop suite's facilitator (examples/interop/lib/
// official-facilitator-app.mjs) with one change for
// load: the settler account has viem's nonce manager. Without it, viem reads
// the pending nonce for every settlement and concurrent settlements collide
// ("nonce too low"); a run without it (N=1000 N_SYNC=200) did not get
// through the official exact row's warm-up. The benchmark gives the
// official stack its working configuration.
//
//   node official-facilitator.mjs PORT RPC-URL KEY-FILE
import { nonceManager } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { keyFromFile } from '../interop/lib/common.mjs';
import { serveOfficialFacilitator } from '../interop/lib/official-facilitator-app.mjs';

const [port, rpc, keyFile] = process.argv.slice(2);
serveOfficialFacilitator({
  account: privateKeyToAccount(keyFromFile(keyFile), { nonceManager }),
  rpc,
  port: Number(port),
  log: (op, what, msg) => process.env.BENCH_VERBOSE && console.error(op, what, msg ?? ''),
});
