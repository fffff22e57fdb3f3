// An x402 facilitator built only from the official packages: x402Facilitator
// (@x402/core/facilitator) with the exact EVM scheme (@x402/evm), settling on
// the local anvil with its own key (no other process settles from it). It
// serves the facilitator HTTP API (GET /supported, POST /verify, POST /settle)
// the way the official examples do, on 127.0.0.1:$PORT, for our Caddy's
// `facilitator remote` (scenario 4).
//
//   INTEROP_CONFIG=… node official-facilitator.mjs PORT
import { accountFromKeyFile, config } from './lib/common.mjs';
import { serveOfficialFacilitator } from './lib/official-facilitator-app.mjs';

const cfg = config();
serveOfficialFacilitator({
  account: accountFromKeyFile(cfg.keys.officialSettler.keyFile),
  rpc: cfg.rpc,
  port: Number(process.argv[2]),
  log: (...a) => process.env.INTEROP_VERBOSE && console.error('[official-facilitator]', ...a),
});
