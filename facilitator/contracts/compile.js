#!/usr/bin/env node
// Compiles every src/*.sol with the solcjs pinned in package-lock.json and
// writes build/<Contract>.abi (JSON) and build/<Contract>.bin (hex initcode,
// no 0x) for each contract defined in src/, and build/<Contract>.runtime.bin
// (hex runtime code) for the contracts in RUNTIME, which are placed at fixed
// addresses rather than deployed. Imports resolve to src/ and to
// node_modules/ (OpenZeppelin); nothing is fetched.
//
// Usage: node compile.js   (run from anywhere; paths are relative to this file)
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const root = __dirname;
const srcDir = path.join(root, 'src');
const buildDir = path.join(root, 'build');

// Compiler settings: keep them in one place; changing them changes every .bin.
const settings = {
  evmVersion: 'cancun',
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

// Contracts whose runtime code is written too: Multicall3 goes to its
// canonical address in the dev chain's genesis and, with anvil_setCode, on
// anvil (`caddy x402 devchain deploy`).
const RUNTIME = ['Multicall3'];

// findImports resolves an import that is not one of the sources: first inside
// node_modules (packages such as @openzeppelin/contracts), then relative to the
// project root. Paths may not climb out of the project.
function findImports(importPath) {
  for (const base of [path.join(root, 'node_modules'), root]) {
    const file = path.resolve(base, importPath);
    if (!file.startsWith(base + path.sep)) continue;
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, 'utf8') };
  }
  return { error: 'import not found: ' + importPath };
}

function main() {
  const files = fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort();
  if (files.length === 0) throw new Error('no .sol files in ' + srcDir);
  const sources = {};
  for (const f of files) sources['src/' + f] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };

  const input = { language: 'Solidity', sources, settings };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  let failed = false;
  for (const e of output.errors || []) {
    const isError = e.severity === 'error';
    failed = failed || isError;
    process.stderr.write((e.formattedMessage || e.message) + '\n');
  }
  if (failed) throw new Error('compilation failed');

  fs.mkdirSync(buildDir, { recursive: true });
  const written = [];
  for (const unit of Object.keys(sources)) {
    for (const [name, c] of Object.entries(output.contracts[unit] || {})) {
      fs.writeFileSync(path.join(buildDir, name + '.abi'), JSON.stringify(c.abi, null, 2) + '\n');
      const bin = c.evm.bytecode.object;
      if (bin) {
        fs.writeFileSync(path.join(buildDir, name + '.bin'), bin + '\n');
      }
      if (RUNTIME.includes(name)) {
        fs.writeFileSync(path.join(buildDir, name + '.runtime.bin'), c.evm.deployedBytecode.object + '\n');
      }
      written.push(`${name} (${bin.length / 2} bytes initcode)`);
    }
  }
  console.log(`solc ${solc.version()}: ${written.join(', ')}`);
}

try {
  main();
} catch (err) {
  console.error('compile.js: ' + err.message);
  process.exit(1);
}
