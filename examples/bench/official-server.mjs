// The official x402 resource server for the benchmark: express with
// @x402/express's paymentMiddleware and the exact EVM server scheme, whose
// facilitator is the official one (official-facilitator.mjs) over HTTP. Its
// paid route answers the same small JSON body as the benchmark's upstream.
//
//   node official-server.mjs PORT FACILITATOR-URL TOKEN TOKEN-NAME TOKEN-VERSION PAY-TO PRICE-UNITS
import express from 'express';
import { paymentMiddleware, x402ResourceServer } from '@x402/express';
import { HTTPFacilitatorClient } from '@x402/core/server';
import { ExactEvmScheme } from '@x402/evm/exact/server';

const [port, facilitatorURL, token, name, version, payTo, price] = process.argv.slice(2);
const facilitatorClient = new HTTPFacilitatorClient({ url: facilitatorURL, timeoutMs: 60000 });
const server = new x402ResourceServer(facilitatorClient).register('eip155:84532', new ExactEvmScheme());

const app = express();
app.use(
  paymentMiddleware(
    {
      'GET /paid': {
        accepts: {
          scheme: 'exact',
          network: 'eip155:84532',
          payTo,
          price: { amount: price, asset: token, extra: { name, version } },
          maxTimeoutSeconds: 300,
        },
        description: 'benchmark: official express server and facilitator',
        mimeType: 'application/json',
      },
    },
    server,
  ),
);
app.get('/paid', (_req, res) => res.json({ ok: true, data: 'benchmark upstream', n: 42 }));
app.listen(Number(port), '127.0.0.1', () => console.log(`official express server on 127.0.0.1:${port}, facilitator ${facilitatorURL}`));
