// Scenario 3: an official resource server (@x402/express paymentMiddleware,
// HTTPFacilitatorClient pointed at our Caddy's x402_facilitator endpoint) is
// paid by our `caddy x402 pay`; our facilitator verifies and settles on anvil.
import {
  balanceOf, caddyPay, caddyPayHeader, check, config, decodeHeader, expectBalanceStays, fetchWithTimeout, publicClient, scenario, versions, waitForBalance,
} from './lib/common.mjs';

const cfg = config();
const pc = publicClient(cfg.rpc);
const price = BigInt(cfg.priceUnits);
const pkgs = versions('@x402/express', '@x402/core', '@x402/evm', 'express') + ' + caddy x402 pay';

await scenario('3  caddy x402 pay -> official server (@x402/express) -> our x402_facilitator', pkgs, async () => {
  const payee = cfg.addresses.payeeExpress;
  const payeeBefore = await balanceOf(pc, cfg.token.address, payee);
  const r = await caddyPay(cfg.caddyBin, ['--key-file', cfg.keys.payerCLI.keyFile, `${cfg.expressURL}/paid`]);
  check(r.code === 0 && r.json, `caddy x402 pay exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  check(r.json.status === 200 && r.json.paid, `status ${r.json.status} paid=${r.json.paid}: ${JSON.stringify(r.json)}`);
  check(r.json.x402Version === 2, `paid in x402 v${r.json.x402Version}, want 2 (the official v2 server)`);
  const pr = r.json.paymentResponse;
  check(pr?.success === true && /^0x[0-9a-f]{64}$/i.test(pr.transaction), `PAYMENT-RESPONSE ${JSON.stringify(pr)}`);
  check(JSON.parse(r.json.body).data === 'paid content from @x402/express', `body ${r.json.body}`);
  const receipt = await pc.getTransactionReceipt({ hash: pr.transaction });
  check(receipt.status === 'success', `settlement transaction ${receipt.status}`);
  check(receipt.from.toLowerCase() === cfg.keys.oursSettler.address.toLowerCase(),
    `settled by ${receipt.from}, want our facilitator's key ${cfg.keys.oursSettler.address}`);
  await waitForBalance(pc, cfg.token.address, payee, payeeBefore + price, 5000);
  return `tx ${pr.transaction.slice(0, 10)}… from our settler`;
});

// 3b: the official server must turn our facilitator's refusal into a 402 (not
// a 500, not a 200): a payment header made by `caddy x402 pay --header-only`
// is sent twice; the second time our /verify answers nonce-already-used.
await scenario('3b official server (@x402/express) answers 402 when our facilitator refuses a replay', pkgs, async () => {
  const payee = cfg.addresses.payeeExpress;
  const before = await balanceOf(pc, cfg.token.address, payee);
  const r = await caddyPayHeader(cfg.caddyBin, ['--key-file', cfg.keys.payerCLI.keyFile, `${cfg.expressURL}/paid`]);
  check(r.code === 0 && r.header, `caddy x402 pay --header-only exited ${r.code}: ${r.stderr.trim()}`);
  const [name, value] = r.header;
  check(name === 'PAYMENT-SIGNATURE', `header ${name}, want PAYMENT-SIGNATURE`);
  const first = await fetchWithTimeout(`${cfg.expressURL}/paid`, { headers: { [name]: value } });
  check(first.status === 200, `first use answered ${first.status}: ${await first.text()}`);
  await waitForBalance(pc, cfg.token.address, payee, before + price, 5000);
  const again = await fetchWithTimeout(`${cfg.expressURL}/paid`, { headers: { [name]: value } });
  const body = await again.text();
  check(again.status === 402, `replay answered ${again.status}, want 402: ${body}`);
  const required = decodeHeader(again.headers.get('PAYMENT-REQUIRED'));
  check(!again.headers.get('PAYMENT-RESPONSE') || decodeHeader(again.headers.get('PAYMENT-RESPONSE')).success === false, 'replay got a successful PAYMENT-RESPONSE');
  await expectBalanceStays(pc, cfg.token.address, payee, before + price, 1000);
  return `402 error=${JSON.stringify(required?.error)}`;
});

// 3c: one payment sent by 6 concurrent requests. The official server relies on
// its facilitator for this: our facilitator API verifies the nonce on chain and
// answers success to one /settle per authorization, so exactly one request is
// served and the payment settles once.
await scenario('3c official server + our x402_facilitator: one payment, 6 concurrent requests → one served', pkgs, async () => {
  const payee = cfg.addresses.payeeExpress;
  const before = await balanceOf(pc, cfg.token.address, payee);
  const r = await caddyPayHeader(cfg.caddyBin, ['--key-file', cfg.keys.payerCLI.keyFile, `${cfg.expressURL}/paid`]);
  check(r.code === 0 && r.header, `caddy x402 pay --header-only exited ${r.code}: ${r.stderr.trim()}`);
  const [name, value] = r.header;
  const answers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => fetchWithTimeout(`${cfg.expressURL}/paid`, { headers: { [name]: value } })));
  await Promise.all(answers.map((a) => a.text()));
  const served = answers.filter((a) => a.status === 200).length;
  check(served === 1, `${served} of 6 requests were served for one payment: ${answers.map((a) => a.status)}`);
  await waitForBalance(pc, cfg.token.address, payee, before + price, 5000);
  await expectBalanceStays(pc, cfg.token.address, payee, before + price, 1000);
  return `1 of 6 served (statuses ${answers.map((a) => a.status).join(',')}); settled once`;
});
