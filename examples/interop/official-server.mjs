// A resource server built only from the official packages: @x402/express's
// paymentMiddleware with the exact EVM server scheme, whose facilitator is our
// Caddy's x402_facilitator endpoint (HTTPFacilitatorClient({url})). Scenario 3
// pays it with `caddy x402 pay`.
//
//   INTEROP_CONFIG=… node official-server.mjs PORT [FACILITATOR-URL]
import express from 'express';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';
import { config } from './lib/common.mjs';

const cfg = config();
const port = Number(process.argv[2]);
const facilitatorURL = process.argv[3] || cfg.caddyFacilitatorURL;
const facilitatorClient = new HTTPFacilitatorClient({ url: facilitatorURL, timeoutMs: 30000 });
const server = new x402ResourceServer(facilitatorClient).register('eip155:84532', new ExactEvmScheme());

const app = express();
app.use(
  paymentMiddleware(
    {
      'GET /paid': {
        accepts: {
          scheme: 'exact',
          network: 'eip155:84532',
          payTo: cfg.addresses.payeeExpress,
          price: { amount: cfg.priceUnits, asset: cfg.token.address, extra: { name: cfg.token.name, version: cfg.token.version } },
          maxTimeoutSeconds: 120,
        },
        description: 'interop: official express server, our facilitator',
        mimeType: 'application/json',
      },
    },
    server,
  ),
);
app.get('/paid', (_req, res) => res.json({ data: 'paid content from @x402/express' }));
app.get('/health', (_req, res) => res.json({ ok: true }));

app.listen(port, '127.0.0.1', () => console.log(`official express server on 127.0.0.1:${port}, facilitator ${facilitatorURL}`));
