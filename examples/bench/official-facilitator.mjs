// The official x402 facilitator for the benchmark: x402Facilitator
// (@x402/core/facilitator) with the exact EVM scheme (@x402/evm), settling on
// the benchmark's anvil, serving POST /verify, POST /settle and GET
// /supported over HTTP for @x402/express's HTTPFacilitatorClient.
//
// It is the interop suite's official-facilitator.mjs with one change for
// load: the settler account has viem's nonce manager. Without it, viem reads
// the pending nonce for every settlement and concurrent settlements collide
// ("nonce too low"); a run without it (N=1000 N_SYNC=200) did not get
// through the official exact row's warm-up. The benchmark gives the
// official stack its working configuration.
//
//   node official-facilitator.mjs PORT RPC-URL KEY-FILE
import { readFileSync } from 'node:fs';
import express from 'express';
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import { createWalletClient, defineChain, http, nonceManager, publicActions } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const [port, rpc, keyFile] = process.argv.slice(2);
let key = readFileSync(keyFile, 'utf8').trim();
if (!key.startsWith('0x')) key = '0x' + key;
const account = privateKeyToAccount(key, { nonceManager });
const chain = defineChain({
  id: 84532,
  name: 'anvil (base-sepolia id)',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpc] } },
});
const wallet = createWalletClient({
  account,
  chain,
  transport: http(rpc),
  pollingInterval: 50, // viem's 4 s default delays every receipt
}).extend(publicActions);

const signer = toFacilitatorEvmSigner(
  {
    address: account.address,
    readContract: (a) => wallet.readContract({ ...a, args: a.args || [] }),
    verifyTypedData: (a) => wallet.verifyTypedData(a),
    writeContract: (a) => wallet.writeContract({ ...a, args: a.args || [] }),
    sendTransaction: (a) => wallet.sendTransaction(a),
    waitForTransactionReceipt: (a) => wallet.waitForTransactionReceipt(a),
    getCode: (a) => wallet.getCode(a),
  },
  { confirmationTimeoutMs: 30000 },
);

const facilitator = new x402Facilitator();
registerExactEvmScheme(facilitator, { signer, networks: 'eip155:84532' });

const app = express();
app.use(express.json({ limit: '64kb' }));
app.get('/supported', (_req, res) => res.json(facilitator.getSupported()));
for (const op of ['verify', 'settle']) {
  app.post('/' + op, async (req, res) => {
    const { paymentPayload, paymentRequirements } = req.body || {};
    if (!paymentPayload || !paymentRequirements) {
      return res.status(400).json({ error: 'paymentPayload and paymentRequirements are required' });
    }
    try {
      const result = await facilitator[op](paymentPayload, paymentRequirements);
      if (process.env.BENCH_VERBOSE && !(result.success ?? result.isValid)) console.error(op, JSON.stringify(result).slice(0, 300));
      res.json(result);
    } catch (e) {
      if (process.env.BENCH_VERBOSE) console.error(op, 'error', e.message);
      res.status(500).json({ error: e.message });
    }
  });
}

app.listen(Number(port), '127.0.0.1', () => console.log(`official facilitator on 127.0.0.1:${port}, settler ${account.address}`));
