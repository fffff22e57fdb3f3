// The facilitator HTTP API (GET /supported, POST /verify, POST /settle)
// around the official x402Facilitator (@x402/core/facilitator) with the
// exact EVM scheme (@x402/evm), settling with `account` on the anvil at
// `rpc`. Used by the interop suite (official-facilitator.mjs) and the
// benchmark (examples/bench/official-facilitator.mjs).
import express from 'express';
import { x402Facilitator } from '@x402/core/facilitator';
import { toFacilitatorEvmSigner } from '@x402/evm';
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator';
import { createWalletClient, http, publicActions } from 'viem';
import { localChain } from './common.mjs';

/** Serves the official facilitator on 127.0.0.1:port; log(...) reports each answer. */
export function serveOfficialFacilitator({ account, rpc, port, log = () => {} }) {
  const wallet = createWalletClient({
    account,
    chain: localChain(rpc),
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
        log(op, JSON.stringify(result));
        res.json(result);
      } catch (e) {
        log(op, 'error', e.message);
        res.status(500).json({ error: e.message });
      }
    });
  }
  app.listen(port, '127.0.0.1', () => console.log(`official facilitator on 127.0.0.1:${port}, settler ${account.address}`));
}
