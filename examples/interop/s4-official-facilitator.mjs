// Scenario 4: our Caddy with `facilitator remote` pointed at a facilitator
// built from the official packages (official-facilitator.mjs), paid by our
// `caddy x402 pay`; the official facilitator settles on anvil with its own key.
import {
  balanceOf, caddyPay, caddyPayHeader, check, config, decodeHeader, expectBalanceStays, fetchWithTimeout, publicClient, scenario, versions, waitForBalance,
} from './lib/common.mjs';

const cfg = config();
const pc = publicClient(cfg.rpc);
const price = BigInt(cfg.priceUnits);
const pkgs = versions('@x402/core', '@x402/evm', 'viem', 'express') + ' + caddy x402 pay';

await scenario('4  caddy x402 pay -> our Caddy (facilitator remote) -> official facilitator (@x402/core + @x402/evm)', pkgs, async () => {
  const payee = cfg.addresses.payeeRemote;
  const payeeBefore = await balanceOf(pc, cfg.token.address, payee);
  const r = await caddyPay(cfg.caddyBin, ['--key-file', cfg.keys.payerCLI.keyFile, `${cfg.caddyB}/exact/remote`]);
  check(r.code === 0 && r.json, `caddy x402 pay exited ${r.code}: ${r.stderr.trim()} ${r.stdout.trim()}`);
  check(r.json.status === 200 && r.json.paid, `status ${r.json.status} paid=${r.json.paid}: ${JSON.stringify(r.json)}`);
  const pr = r.json.paymentResponse;
  check(pr?.success === true && /^0x[0-9a-f]{64}$/i.test(pr.transaction), `PAYMENT-RESPONSE ${JSON.stringify(pr)}`);
  const receipt = await pc.getTransactionReceipt({ hash: pr.transaction });
  check(receipt.status === 'success', `settlement transaction ${receipt.status}`);
  check(receipt.from.toLowerCase() === cfg.keys.officialSettler.address.toLowerCase(),
    `settled by ${receipt.from}, want the official facilitator's key ${cfg.keys.officialSettler.address}`);
  await waitForBalance(pc, cfg.token.address, payee, payeeBefore + price, 5000);
  return `tx ${pr.transaction.slice(0, 10)}… from the official facilitator`;
});

// 4b: a payer without tokens. Our in-process checks pass (the signature is
// good); settling through the official facilitator fails, and our Caddy must
// answer 402 with its reason and withhold the body.
await scenario('4b our Caddy (facilitator remote) answers 402 with the official facilitator\'s refusal', pkgs, async () => {
  const payee = cfg.addresses.payeeRemote;
  const before = await balanceOf(pc, cfg.token.address, payee);
  const r = await caddyPay(cfg.caddyBin, ['--key-file', cfg.keys.payerUnfunded.keyFile, `${cfg.caddyB}/exact/unfunded`]);
  check(r.json, `caddy x402 pay printed no JSON (exit ${r.code}): ${r.stderr.trim()}`);
  check(r.code === 1 && r.json.status === 402, `exit ${r.code}, status ${r.json.status}, want exit 1 and 402: ${JSON.stringify(r.json)}`);
  check(!r.json.body.includes('paid content'), 'the body was served');
  const pr = r.json.paymentResponse;
  check(pr && pr.success === false && pr.errorReason && pr.transaction === '', `PAYMENT-RESPONSE ${JSON.stringify(pr)}`);
  await expectBalanceStays(pc, cfg.token.address, payee, before, 1000);
  return `402 errorReason=${pr.errorReason}`;
});

// 4c: the official facilitator's /verify (with its simulation, and its
// diagnosis through tryAggregate at the Multicall3 address) on payments that
// our Go client signed: valid for a funded payer, insufficient balance for an
// unfunded one.
await scenario('4c official facilitator /verify accepts our client\'s payment, diagnoses an unfunded one', pkgs, async () => {
  const verify = async (keyFile) => {
    const h = await caddyPayHeader(cfg.caddyBin, ['--key-file', keyFile, `${cfg.caddyB}/exact/verify-probe`]);
    check(h.code === 0 && h.header?.[0] === 'PAYMENT-SIGNATURE', `caddy x402 pay --header-only exited ${h.code}: ${h.stderr.trim()}`);
    const paymentPayload = decodeHeader(h.header[1]);
    const res = await fetchWithTimeout(`${cfg.officialFacilitatorURL}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x402Version: 2, paymentPayload, paymentRequirements: paymentPayload.accepted }),
    });
    check(res.status === 200, `/verify answered ${res.status}`);
    return res.json();
  };
  const ok = await verify(cfg.keys.payerCLI.keyFile);
  check(ok.isValid === true, `funded payer: ${JSON.stringify(ok)}`);
  const bad = await verify(cfg.keys.payerUnfunded.keyFile);
  check(bad.isValid === false && bad.invalidReason === 'invalid_exact_evm_insufficient_balance',
    `unfunded payer: ${JSON.stringify(bad)}, want invalid_exact_evm_insufficient_balance (needs tryAggregate at the Multicall3 address)`);
  return `funded: isValid=true; unfunded: ${bad.invalidReason}`;
});
