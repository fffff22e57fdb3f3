// Scenario 2: the official v1 client (x402-fetch) pays the same exact route:
// it reads the v1 JSON body of our 402, sends X-PAYMENT, and gets 200 with
// X-PAYMENT-RESPONSE; the payee is up by exactly the price.
import { wrapFetchWithPayment, decodeXPaymentResponse } from 'x402-fetch';
import { createWalletClient, http } from 'viem';
import { accountFromKeyFile, balanceOf, check, config, localChain, publicClient, scenario, versions, waitForBalance, fetchWithTimeout } from './lib/common.mjs';

const cfg = config();
const pc = publicClient(cfg.rpc);
const price = BigInt(cfg.priceUnits);
const payer = accountFromKeyFile(cfg.keys.payerV1.keyFile);
const pkgs = versions('x402-fetch', 'x402', 'viem');

await scenario('2  v1 client (x402-fetch) -> our Caddy exact route via X-PAYMENT', pkgs, async () => {
  // Signing is local; the chain id (84532) makes the client pick base-sepolia.
  const wallet = createWalletClient({ account: payer, chain: localChain(cfg.rpc), transport: http(cfg.rpc) });
  let sentXPayment = false;
  const spy = (input, init) => {
    if (init?.headers?.['X-PAYMENT']) sentXPayment = true;
    return fetchWithTimeout(input, init);
  };
  const pay = wrapFetchWithPayment(spy, wallet, price);
  const payee = cfg.addresses.payeeExact;
  const payeeBefore = await balanceOf(pc, cfg.token.address, payee);

  const res = await pay(`${cfg.caddyA}/exact/v1-client`);
  const body = await res.text();
  check(sentXPayment, 'the v1 client did not send X-PAYMENT');
  check(res.status === 200, `status ${res.status}, want 200: ${body}`);
  const xpr = res.headers.get('X-PAYMENT-RESPONSE');
  check(xpr, 'no X-PAYMENT-RESPONSE header');
  const pr = decodeXPaymentResponse(xpr);
  check(pr.success === true, `X-PAYMENT-RESPONSE success=${pr.success}: ${JSON.stringify(pr)}`);
  check(/^0x[0-9a-f]{64}$/i.test(pr.transaction), `transaction ${JSON.stringify(pr.transaction)}`);
  check(pr.network === 'base-sepolia', `X-PAYMENT-RESPONSE network ${pr.network}, want the v1 name base-sepolia`);
  const receipt = await pc.getTransactionReceipt({ hash: pr.transaction });
  check(receipt.status === 'success', `settlement transaction ${receipt.status}`);
  await waitForBalance(pc, cfg.token.address, payee, payeeBefore + price, 5000);
  return `tx ${pr.transaction.slice(0, 10)}…`;
});
