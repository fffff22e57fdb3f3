// Scenario 5: the official v2 client receives a 402 from our Caddy for a
// replayed payment and for an underpaid one, and reports each as a payment
// failure (a non-ok response whose payment status is not "settled"), never as
// success; nothing more moves on anvil.
//   5a replay on the settle-header route: the exact PAYMENT-SIGNATURE header
//      the client produced for a paid request (captured by a fetch wrapper) is
//      sent again in place of a fresh one.
//   5b the same on the settle-after route, right after the first payment,
//      while its settlement may still be queued.
//   5c underpaid: the official ExactEvmScheme signs an authorization for the
//      price minus one unit, while `accepted` echoes our requirements.
import { wrapFetchWithPayment, x402Client, x402HTTPClient } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import {
  accountFromKeyFile, authorizationUsed, balanceOf, check, config, decodeHeader, expectBalanceStays,
  fetchWithTimeout, publicClient, scenario, versions, waitForBalance,
} from './lib/common.mjs';

const cfg = config();
const pc = publicClient(cfg.rpc);
const price = BigInt(cfg.priceUnits);
const payer = accountFromKeyFile(cfg.keys.payerV2.keyFile);
const pkgs = versions('@x402/fetch', '@x402/evm', '@x402/core');
const spend = { allowedAssets: [{ network: 'eip155:84532', asset: cfg.token.address, maxAmountPerPayment: '1000000' }] };

function clientWith(schemeClient) {
  return x402Client.fromConfig({ schemes: [{ network: 'eip155:84532', client: schemeClient }], spendControls: spend });
}

// A fetch that records the PAYMENT-SIGNATURE header of paid requests, and
// (when replaying) swaps the fresh one for the recorded one.
function capturingFetch(state) {
  return async (input, init) => {
    const req = new Request(input, init);
    const sig = req.headers.get('PAYMENT-SIGNATURE');
    if (sig && state.replay) {
      const headers = new Headers(req.headers);
      headers.set('PAYMENT-SIGNATURE', state.replay);
      state.replayed = true;
      return fetchWithTimeout(new Request(req, { headers }));
    }
    if (sig) state.sent = sig;
    return fetchWithTimeout(req);
  };
}

// The client's own verdict on a response, and a description for the report.
async function verdict(client, res) {
  const body = await res.text();
  const parsed = new x402HTTPClient(client).parsePaymentResult({ status: res.status, getHeader: (h) => res.headers.get(h), body });
  const required = decodeHeader(res.headers.get('PAYMENT-REQUIRED'));
  return { parsed, required, body };
}

async function replay(name, path, payee) {
  const client = clientWith(new ExactEvmScheme(payer));
  const state = {};
  const pay = wrapFetchWithPayment(capturingFetch(state), client);
  const before = await balanceOf(pc, cfg.token.address, payee);

  const first = await pay(`${cfg.caddyA}${path}`);
  await first.text();
  check(first.status === 200 && state.sent, `first payment: status ${first.status}`);
  const payload = decodeHeader(state.sent);

  state.replay = state.sent;
  const again = await pay(`${cfg.caddyA}${path}`);
  const v = await verdict(client, again);
  check(state.replayed, 'the replayed header was not sent');
  check(!again.ok && again.status === 402, `replay answered ${again.status}, want 402: ${v.body}`);
  check(v.parsed.paymentStatus !== 'settled', `client reports the replay as ${v.parsed.paymentStatus}`);
  check(v.required?.x402Version === 2, 'the 402 has no v2 PAYMENT-REQUIRED header');

  await waitForBalance(pc, cfg.token.address, payee, before + price, 15000);
  await expectBalanceStays(pc, cfg.token.address, payee, before + price, 1500);
  check(await authorizationUsed(pc, cfg.token.address, payer.address, payload.payload.authorization.nonce), 'first authorization not used on chain');
  return `402 error=${v.required.error} paymentStatus=${v.parsed.paymentStatus}; payee up by one price only`;
}

await scenario('5a v2 client gets 402 for a replayed payment (settle header)', pkgs, () =>
  replay('header', '/exact/replay', cfg.addresses.payeeExact));

await scenario('5b v2 client gets 402 for a replayed payment (settle after, queued)', pkgs, () =>
  replay('after', '/after/replay', cfg.addresses.payeeAfter));

await scenario('5c v2 client gets 402 for an underpaid payment', pkgs, async () => {
  const real = new ExactEvmScheme(payer);
  let signed;
  const underpaying = {
    scheme: 'exact',
    async createPaymentPayload(version, requirements, context) {
      const p = await real.createPaymentPayload(version, { ...requirements, amount: (BigInt(requirements.amount) - 1n).toString() }, context);
      signed = p.payload.authorization;
      return p;
    },
  };
  const client = clientWith(underpaying);
  const pay = wrapFetchWithPayment(fetchWithTimeout, client);
  const payee = cfg.addresses.payeeExact;
  const before = await balanceOf(pc, cfg.token.address, payee);

  const res = await pay(`${cfg.caddyA}/exact/underpaid`);
  const v = await verdict(client, res);
  check(signed && BigInt(signed.value) === price - 1n, `signed value ${signed?.value}, want ${price - 1n}`);
  check(!res.ok && res.status === 402, `underpaid answered ${res.status}, want 402: ${v.body}`);
  check(v.parsed.paymentStatus !== 'settled', `client reports the underpayment as ${v.parsed.paymentStatus}`);
  check(v.required?.error, 'the 402 names no error');
  await expectBalanceStays(pc, cfg.token.address, payee, before, 1000);
  check(!(await authorizationUsed(pc, cfg.token.address, payer.address, signed.nonce)), 'the underpaid authorization was settled');
  return `402 error=${v.required.error} paymentStatus=${v.parsed.paymentStatus}`;
});
