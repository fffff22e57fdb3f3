// Prints N distinct free TCP ports on 127.0.0.1, one per line. Each is bound
// and released; ./run starts its servers on them right away.
import { createServer } from 'node:net';

const n = Number(process.argv[2] || 1);
const servers = [];
for (let i = 0; i < n; i++) {
  servers.push(await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  }));
}
console.log(servers.map((s) => s.address().port).join('\n'));
await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
