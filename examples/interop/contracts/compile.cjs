#!/usr/bin/env node
// Compiles TryAggregate.sol with the solcjs that facilitator/contracts pins
// (run `npm ci` there first) and writes TryAggregate.runtime.hex: the
// deployed (runtime) code, which the interop suite places at the Multicall3
// address with anvil_setCode. The .hex is committed, so the suite needs no
// compiler. Usage: node examples/interop/contracts/compile.cjs
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '../../../facilitator/contracts/node_modules/solc'));

const src = 'TryAggregate.sol';
const input = {
  language: 'Solidity',
  sources: { [src]: { content: fs.readFileSync(path.join(__dirname, src), 'utf8') } },
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    metadata: { bytecodeHash: 'none' },
    outputSelection: { '*': { '*': ['evm.deployedBytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of out.errors || []) process.stderr.write((e.formattedMessage || e.message) + '\n');
if ((out.errors || []).some((e) => e.severity === 'error')) process.exit(1);
const runtime = out.contracts[src].TryAggregate.evm.deployedBytecode.object;
fs.writeFileSync(path.join(__dirname, 'TryAggregate.runtime.hex'), '0x' + runtime + '\n');
console.log(`solc ${solc.version()}: TryAggregate runtime ${runtime.length / 2} bytes`);
