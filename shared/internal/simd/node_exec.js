// node_exec.js runs a Go program built for js/wasm with the build tag
// simd under Node, as Go's go_js_wasm_exec does, with the kernels beside
// it: the Go module gets the kernels' functions as "pixmatch_simd", and
// the kernels (kernels.wasm, at PIXMATCH_SIMD_WASM) the Go instance's
// memory. Go's wasm_exec.js is read from GOROOT's lib/wasm.
//
//   node node_exec.js PROGRAM.wasm [ARGS...]
//
// (go test -exec passes the test binary and its flags.)
"use strict";

if (process.argv.length < 3 || !process.env.PIXMATCH_SIMD_WASM || !process.env.GOROOT) {
  console.error("usage: GOROOT=... PIXMATCH_SIMD_WASM=kernels.wasm node node_exec.js PROGRAM.wasm [ARGS...]");
  process.exit(2);
}

globalThis.require = require;
globalThis.fs = require("fs");
globalThis.path = require("path");
globalThis.TextEncoder = require("util").TextEncoder;
globalThis.TextDecoder = require("util").TextDecoder;
globalThis.performance ??= require("performance");
globalThis.crypto ??= require("crypto");

require(path.join(process.env.GOROOT, "lib", "wasm", "wasm_exec.js"));

const go = new Go();
go.argv = process.argv.slice(2);
go.env = Object.assign({ TMPDIR: require("os").tmpdir() }, process.env);
go.exit = process.exit;

const kernels = new WebAssembly.Module(fs.readFileSync(process.env.PIXMATCH_SIMD_WASM));
let k; // the kernels' exports, once instantiated
const simd = {};
for (const e of WebAssembly.Module.exports(kernels)) {
  if (e.kind === "function") simd[e.name] = (...args) => k[e.name](...args);
}

WebAssembly.instantiate(fs.readFileSync(process.argv[2]), { ...go.importObject, pixmatch_simd: simd })
  .then((result) => {
    k = new WebAssembly.Instance(kernels, { go: { mem: result.instance.exports.mem } }).exports;
    process.on("exit", (code) => {
      if (code === 0 && !go.exited) {
        go._pendingEvent = { id: 0 };
        go._resume();
      }
    });
    return go.run(result.instance);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
