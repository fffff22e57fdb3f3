// Scenario 6: the reference escrow-session client, @agentokratia/x402-escrow
// 2.0.0 (createEscrowFetch over @x402/fetch; 2.1.x dropped sessions), against
// a Caddy of ours that is the escrow operator on anvil (our AuthCaptureEscrow
// and ERC-3009 collector from `caddy x402 devchain deploy`).
//   6  the first call signs one deposit (creation payload); the client stores
//      the session from PAYMENT-RESPONSE.session (token, expiresAt) and the
//      top-level receiver; the next calls send usage payloads (no signature)
//      and the stored balance follows each answer; a close payload (session
//      token, action "close") has the operator capture exactly the calls and
//      void the rest back to the payer, all checked on anvil.
// This scenario starts its own Caddy (operator key: dev account 0, which only
// deployed the contracts) so that the shared Caddys keep their config.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createWalletClient, http, bytesToHex } from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { createEscrowFetch } from '@agentokratia/x402-escrow/client';
import { accountFromKeyFile, balanceOf, check, config, decodeHeader, fetchWithTimeout, localChain, publicClient, scenario, versions, waitFor, waitForBalance } from './lib/common.mjs';

const cfg = config();
const pc = publicClient(cfg.rpc);
const token = cfg.token.address;
const pkgs = versions('@agentokratia/x402-escrow', '@x402/fetch', '@x402/core', 'viem');
const PRICE = 1000n; // 0.001 of the 6-decimal TestUSDC
const DEPOSIT = 200000n; // 0.20, above our default minimum deposit of 0.10
const CALLS = 6;

async function freePort() {
  const s = createServer();
  await new Promise((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

function listening(port) {
  return new Promise((resolve) => {
    const c = connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'x402-interop-s6-'));
chmodSync(dir, 0o700);
let caddy;
try {
  await scenario('6  @agentokratia/x402-escrow session client -> our Caddy as escrow operator', pkgs, async () => {
    const operatorKey = join(dir, 'operator.key');
    const op = mnemonicToAccount('test test test test test test test test test test test junk', { addressIndex: 0 });
    writeFileSync(operatorKey, bytesToHex(op.getHdKey().privateKey) + '\n', { mode: 0o600 });
    const payee = privateKeyToAccount(generatePrivateKey()).address; // holds nothing: its balance is exact
    const port = await freePort();
    const c = cfg.deploy.contracts;
    writeFileSync(join(dir, 'Caddyfile'), `{
	admin off
	default_bind 127.0.0.1
	x402 {
		network base-sepolia {
			rpc ${cfg.rpc}
			asset ${token} {
				name "${cfg.token.name}"
				version ${cfg.token.version}
			}
			escrow {
				contract ${c.AuthCaptureEscrow}
				collector ${c.ERC3009PaymentCollector}
			}
		}
		facilitator embedded {
			key_file ${operatorKey}
		}
		journal ${dir}/journal.db
		escrow_ledger ${dir}/escrow.db
	}
}

http://127.0.0.1:${port} {
	x402 /session/* {
		price ${PRICE} units
		pay_to ${payee}
		description "interop: escrow sessions"
		mime_type application/json
		scheme escrow
	}
	handle {
		header Content-Type application/json
		respond \`{"data":"session content from caddy-x402","path":"{path}"}\` 200
	}
}
`);
    caddy = spawn(cfg.caddyBin, ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
    });
    let caddyLog = '';
    caddy.stderr.on('data', (d) => (caddyLog = (caddyLog + d).slice(-4000)));
    try {
      await waitFor(`our Caddy on 127.0.0.1:${port}`, async () => caddy.exitCode === null && (await listening(port)), 30000, 100);
    } catch (e) {
      throw new Error(`${e.message}; caddy log: ${caddyLog}`);
    }
    const url = `http://127.0.0.1:${port}/session/data`;

    const payer = accountFromKeyFile(cfg.keys.payerV2.keyFile);
    const wallet = createWalletClient({ account: payer, chain: localChain(cfg.rpc), transport: http(cfg.rpc) });
    const { fetch: escrowFetch, scheme, x402 } = createEscrowFetch(wallet, { depositAmount: DEPOSIT.toString(), sessionDuration: 3600, fetch: fetchWithTimeout });
    // @x402/core 2.2x refuses assets it does not know unless the client lists
    // them (spend controls, newer than @agentokratia/x402-escrow 2.0.0).
    x402.setSpendControls({ allowedAssets: [{ network: 'eip155:84532', asset: token, maxAmountPerPayment: '1000000' }] });
    let creations = 0;
    let usages = 0;
    x402.onAfterPaymentCreation(async (ctx) => {
      const p = ctx.paymentPayload.payload;
      if (p.signature && p.authorization && p.sessionParams) creations++;
      else if (p.session?.id && p.session?.token) usages++;
    });
    const payerBefore = await balanceOf(pc, token, payer.address);

    let sessionId;
    for (let i = 0; i < CALLS; i++) {
      const res = await escrowFetch(`${url}/${i}`);
      const body = await res.text();
      check(res.status === 200, `call ${i}: status ${res.status}: ${body}`);
      const pr = decodeHeader(res.headers.get('PAYMENT-RESPONSE'));
      check(pr?.success === true && pr.session?.id, `call ${i}: PAYMENT-RESPONSE ${JSON.stringify(pr)}`);
      const want = (DEPOSIT - PRICE * BigInt(i + 1)).toString();
      check(pr.session.balance === want, `call ${i}: session balance ${pr.session.balance}, want ${want}`);
      if (i === 0) {
        check(/^sess_[0-9a-f]{64}$/.test(pr.session.token ?? ''), 'opening call: no session token');
        check(pr.receiver?.toLowerCase() === payee.toLowerCase(), `opening call: receiver ${pr.receiver}`);
        check(/^0x[0-9a-f]{64}$/i.test(pr.transaction), `opening call: authorize transaction ${pr.transaction}`);
        sessionId = pr.session.id;
      } else {
        check(pr.session.token === undefined && pr.session.id === sessionId, `call ${i}: session ${JSON.stringify(pr.session)}`);
      }
    }
    check(creations === 1 && usages === CALLS - 1, `the client sent ${creations} creation and ${usages} usage payloads`);
    const stored = scheme.sessions.getAll();
    check(stored.length === 1 && stored[0].sessionId === sessionId, `client stored ${stored.length} sessions`);
    check(stored[0].balance === (DEPOSIT - PRICE * BigInt(CALLS)).toString(), `client's stored balance ${stored[0].balance}`);
    check(stored[0].receiver.toLowerCase() === payee.toLowerCase(), `client's stored receiver ${stored[0].receiver}`);
    await waitForBalance(pc, token, payer.address, payerBefore - DEPOSIT, 5000);

    // Close with the session's token (the reference client has no close call).
    const unpaid = await fetchWithTimeout(url);
    const accepted = decodeHeader(unpaid.headers.get('PAYMENT-REQUIRED')).accepts.find((a) => a.scheme === 'escrow');
    const close = { x402Version: 2, accepted, payload: { session: { id: stored[0].sessionId, token: stored[0].sessionToken }, requestId: randomUUID(), action: 'close' } };
    const res = await fetchWithTimeout(url, { headers: { 'PAYMENT-SIGNATURE': Buffer.from(JSON.stringify(close)).toString('base64') } }, 90000);
    const pr = decodeHeader(res.headers.get('PAYMENT-RESPONSE'));
    const used = PRICE * BigInt(CALLS);
    check(res.status === 200 && pr?.success === true, `close: status ${res.status} ${JSON.stringify(pr)}`);
    check(pr.amount === used.toString() && /^0x[0-9a-f]{64}$/i.test(pr.transaction), `close: amount ${pr.amount}, void tx ${pr.transaction}`);
    await waitForBalance(pc, token, payee, used, 5000);
    await waitForBalance(pc, token, payer.address, payerBefore - used, 5000);
    return `1 signature, ${CALLS} calls; close captured ${used} and voided ${DEPOSIT - used} (tx ${pr.transaction.slice(0, 10)}…)`;
  });
} finally {
  if (caddy && caddy.exitCode === null) {
    caddy.kill('SIGTERM');
    const stopped = await Promise.race([new Promise((r) => caddy.once('exit', () => r(true))), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!stopped) caddy.kill('SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}
