// One JSON-RPC call to the node, for the steps of ./run that need no key:
//   node lib/rpc.mjs URL METHOD [JSON-PARAM ...]       prints the JSON result
//   node lib/rpc.mjs URL --set-code ADDRESS FILE        anvil_setCode with a hex file, then checks eth_getCode
import { readFileSync } from 'node:fs';

const [url, method, ...rest] = process.argv.slice(2);

async function call(m, params) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: m, params }),
    signal: AbortSignal.timeout(10000),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${m}: ${body.error.message}`);
  return body.result;
}

if (method === '--set-code') {
  const [address, file] = rest;
  const code = readFileSync(file, 'utf8').trim();
  await call('anvil_setCode', [address, code]);
  const got = await call('eth_getCode', [address, 'latest']);
  if (got.toLowerCase() !== code.toLowerCase()) throw new Error(`eth_getCode at ${address} does not return the code just set`);
  console.log(`code set at ${address} (${(code.length - 2) / 2} bytes)`);
} else {
  console.log(JSON.stringify(await call(method, rest.map((p) => JSON.parse(p)))));
}
