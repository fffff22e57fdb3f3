// Scenario 1: the official v2 client (@x402/fetch + @x402/evm ExactEvmScheme,
// viem local account, spendControls.allowedAssets listing our token) pays our
// Caddy's exact route (network base-sepolia, embedded facilitator).
//   1  /exact/  settle header: 200, PAYMENT-RESPONSE success with the mined
//      transaction, payee up and payer down by exactly the price.
//   1b /after/  settle after (the default): 200 at once; PAYMENT-RESPONSE says
//      success with transaction "" and extensions.settlement.status "queued";
//      the settlement lands on anvil within a bounded wait.
import { wrapFetchWithPayment, x402Client, x402HTTPClient, decodePaymentResponseHeader } from '@x402/fetch';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { accountFromKeyFile, balanceOf, check, config, publicClient, scenario, versions, waitForBalance, fetchWithTimeout } from './lib/common.mjs';

const cfg = config();
const pc = publicClient(cfg.rpc);
const price = BigInt(cfg.priceUnits);
const payer = accountFromKeyFile(cfg.keys.payerV2.keyFile);
const pkgs = versions('@x402/fetch', '@x402/evm', '@x402/core', 'viem');

function officialClient() {
  return x402Client.fromConfig({
    schemes: [{ network: 'eip155:84532', client: new ExactEvmScheme(payer) }],
    spendControls: { allowedAssets: [{ network: 'eip155:84532', asset: cfg.token.address, maxAmountPerPayment: '1000000' }] },
  });
}

await scenario('1  v2 client (@x402/fetch) -> our Caddy exact route, settle header', pkgs, async () => {
  const client = officialClient();
  const pay = wrapFetchWithPayment(fetchWithTimeout, client);
  const payee = cfg.addresses.payeeExact;
  const [payeeBefore, payerBefore] = [await balanceOf(pc, cfg.token.address, payee), await balanceOf(pc, cfg.token.address, payer.address)];

  const res = await pay(`${cfg.caddyA}/exact/v2-client`);
  const body = await res.text();
  check(res.status === 200, `status ${res.status}, want 200: ${body}`);
  const pr = decodePaymentResponseHeader(res.headers.get('PAYMENT-RESPONSE'));
  check(pr.success === true, `PAYMENT-RESPONSE success=${pr.success}: ${JSON.stringify(pr)}`);
  check(/^0x[0-9a-f]{64}$/i.test(pr.transaction), `PAYMENT-RESPONSE transaction ${JSON.stringify(pr.transaction)} is not a tx hash`);
  check(pr.network === 'eip155:84532', `PAYMENT-RESPONSE network ${pr.network}`);
  check(pr.payer?.toLowerCase() === payer.address.toLowerCase(), `PAYMENT-RESPONSE payer ${pr.payer}, want ${payer.address}`);
  const parsed = new x402HTTPClient(client).parsePaymentResult({ status: res.status, getHeader: (h) => res.headers.get(h), body });
  check(parsed.paymentStatus === 'settled', `client's paymentStatus ${parsed.paymentStatus}, want settled`);

  const receipt = await pc.getTransactionReceipt({ hash: pr.transaction });
  check(receipt.status === 'success', `settlement transaction ${pr.transaction} ${receipt.status}`);
  await waitForBalance(pc, cfg.token.address, payee, payeeBefore + price, 5000);
  await waitForBalance(pc, cfg.token.address, payer.address, payerBefore - price, 5000);
  return `tx ${pr.transaction.slice(0, 10)}… block ${receipt.blockNumber}`;
});

await scenario('1b v2 client (@x402/fetch) -> our Caddy exact route, settle after (queued)', pkgs, async () => {
  const client = officialClient();
  const pay = wrapFetchWithPayment(fetchWithTimeout, client);
  const payee = cfg.addresses.payeeAfter;
  const payeeBefore = await balanceOf(pc, cfg.token.address, payee);

  const res = await pay(`${cfg.caddyA}/after/v2-client`);
  const body = await res.text();
  check(res.status === 200, `status ${res.status}, want 200: ${body}`);
  const pr = decodePaymentResponseHeader(res.headers.get('PAYMENT-RESPONSE'));
  // What the official client makes of a settlement that is only queued:
  const parsed = new x402HTTPClient(client).parsePaymentResult({ status: res.status, getHeader: (h) => res.headers.get(h), body });
  check(pr.success === true, `PAYMENT-RESPONSE success=${pr.success}: ${JSON.stringify(pr)}`);
  check(parsed.paymentStatus === 'settled', `client's paymentStatus ${parsed.paymentStatus}`);
  const queued = pr.extensions?.settlement?.status;
  await waitForBalance(pc, cfg.token.address, payee, payeeBefore + price, 15000);
  return `client saw paymentStatus=${parsed.paymentStatus} transaction=${JSON.stringify(pr.transaction)} settlement.status=${queued}; settled on anvil afterwards`;
});
