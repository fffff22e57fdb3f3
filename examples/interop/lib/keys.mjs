// Writes the dev accounts' private keys (anvil's defaults, derived from the
// public test mnemonic) to files of mode 0600 in a directory, one per role,
// and prints {role: {index, address, keyFile}} as JSON. Keys are never printed.
// A role given as role=@index gets the address only (payees need no key);
// role=new gets a fresh random key (an account nobody funded).
//
//   node lib/keys.mjs DIR role=index|role=@index|role=new ...
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex } from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';

const MNEMONIC = 'test test test test test test test test test test test junk';
const [dir, ...roles] = process.argv.slice(2);
if (!dir || roles.length === 0) {
  console.error('usage: node lib/keys.mjs DIR role=index ...');
  process.exit(2);
}
const out = {};
for (const spec of roles) {
  const [role, idx] = spec.split('=');
  if (role && idx === 'new') {
    const key = generatePrivateKey();
    const keyFile = join(dir, `${role}.key`);
    writeFileSync(keyFile, key + '\n', { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    out[role] = { index: null, address: privateKeyToAccount(key).address, keyFile };
    continue;
  }
  const addressOnly = idx?.startsWith('@');
  const index = Number(addressOnly ? idx.slice(1) : idx);
  if (!role || !Number.isInteger(index) || index < 0) throw new Error(`bad role spec ${spec}`);
  const account = mnemonicToAccount(MNEMONIC, { addressIndex: index });
  if (addressOnly) {
    out[role] = { index, address: account.address };
    continue;
  }
  const keyFile = join(dir, `${role}.key`);
  writeFileSync(keyFile, bytesToHex(account.getHdKey().privateKey) + '\n', { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  out[role] = { index, address: account.address, keyFile };
}
console.log(JSON.stringify(out, null, 2));
