// One JSON-RPC call to the node, for the steps of ./run that need no key:
//   node lib/rpc.mjs URL METHOD [JSON-PARAM ...]       prints the JSON result
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

console.log(JSON.stringify(await call(method, rest.map((p) => JSON.parse(p)))));
