// A small API that knows nothing about payments: the x402 sidecar in front
// of it charges for /v1/premium/* and passes the verified payer in the
// X-Payer header. Node's standard library only.
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '0.0.0.0';

http.createServer((req, res) => {
  const reply = (status, body) => {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  };
  if (req.url === '/healthz') return reply(200, { ok: true });
  if (req.url.startsWith('/v1/')) {
    return reply(200, { path: req.url, paid_by: req.headers['x-payer'] || '', data: 'premium numbers: 4 8 15 16 23 42' });
  }
  return reply(404, { error: 'not found' });
}).listen(port, host, () => console.log(`api listening on ${host}:${port}`));
