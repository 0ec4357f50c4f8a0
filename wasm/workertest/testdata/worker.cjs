// worker.cjs — runs pixmatch-worker.js in Node the way a browser runs a
// Web Worker: `self` is the global object, importScripts loads file: URLs,
// and postMessage answers the test. Usage: node worker.cjs WORKER_JS.
//
// Reads one request a line on stdin, {op, args}, where args.picture may
// be {file, width, height}: raw RGBA pixels in a file. Writes the worker's
// reply to each, {result} or {error}, as one JSON line on stdout.
'use strict';
const fs = require('node:fs');
const readline = require('node:readline');
const vm = require('node:vm');
const { fileURLToPath } = require('node:url');

const run = (file) => vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });

globalThis.self = globalThis;
globalThis.importScripts = (...urls) => urls.forEach((url) => run(fileURLToPath(url)));
const waiting = new Map();
globalThis.postMessage = (msg) => {
  const done = waiting.get(msg.id);
  waiting.delete(msg.id);
  if (done) done(msg);
};
run(process.argv[2]);

let nextId = 1;
function ask(op, args) {
  if (op === 'setToken') {
    self.onmessage({ data: { op, args } });
    return Promise.resolve({ result: null });
  }
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    self.onmessage({ data: { id, op, args } });
  });
}

(async () => {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const request = JSON.parse(line);
    const { op } = request;
    const args = request.args || {};
    const p = args.picture;
    if (p && p.file) args.picture = { data: new Uint8ClampedArray(fs.readFileSync(p.file)), width: p.width, height: p.height };
    const { result, error } = await ask(op, args);
    process.stdout.write(JSON.stringify({ result, error }) + '\n');
  }
  process.exit(0);
})();
