// worker.mjs: pixmatch's Worker entry point, copied by `make worker` over
// the build/worker.mjs that syumai/workers' workers-assets-gen writes.
//
// The generated one starts a fresh Go instance for every request (new
// Go(), a new WebAssembly.Instance, go.run), so each request paid the Go
// runtime's start, the packages' init and the store's opening. This one
// starts the instance once per isolate, on its first request, and hands
// every request after to it: the Go side (cmd/main.go) serves with
// workers.ServeNonBlock and Ready, and returns only when told to stop.
//
// The Go side reads the runtime context (globalThis.context in Go: env,
// ctx, connect and binding, where it registers handleRequest) through
// one object kept for the isolate's life; each request sets its env and
// ctx there before it is handed over. env's bindings (D1, R2, vars) are
// the same for every request of an isolate; ctx is the latest request's,
// which the app may share with requests still in flight since it calls
// neither waitUntil nor passThroughOnException (cloudflare.WaitUntil).
// Only fetch is exported: the app has no cron, queue or Pages handler.
// Each Go instance has the kernels (kernels.wasm, shared/internal/simd:
// FAST, box sums and the nearest-descriptor loop in WebAssembly) beside
// it, instantiated with the Go instance's memory as theirs: the Go module
// imports their functions as "pixmatch_simd".
// An instance that exited (a panic outside a handler) is replaced by a
// fresh one on the next request; a start that failed is tried again.
//
// An instance that asked to be retired (binding.retire: its live heap
// passed 32 MB, server/worker Retiring), or whose memory passed
// retireBytes (80 MB), is retired: the next request starts a fresh one,
// and the old one is stopped (binding.stop, its main returns) once its
// last request is answered, its memory freed with it. The instance's
// live heap grows by about 20 KB a request (the js.Funcs syumai/workers
// leaves unreleased, among others), so this keeps an isolate within its
// 128 MB however many requests it serves.
import "./wasm_exec.js";
import { createRuntimeContext, loadModule } from "./runtime.mjs";
import { run } from "./sql.mjs";
import kernels from "./kernels.wasm";

globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

let context; // the runtime context the running instances read
let current; // the instance new requests go to: { go, memory, binding, started, serving, retired }
let logged = 0; // the size of the current instance's memory last logged, in bytes

// retireBytes is the memory past which an instance is retired whatever
// its live heap: the Go side's soft limit of 64 MB (server/worker
// TuneGC) and the module's data (about 10 MB) with a little room. A
// WebAssembly memory never shrinks, and Go's heap, fragmented by a
// search's large pictures, grows past its limit over a few hundred
// requests (to 94 MB after 250 at 1,000 targets): this bounds it, the
// rest of the isolate's 128 MB left to JavaScript.
// The variable PIXMATCH_WORKER_RETIRE_BYTES sets another (tests set 1:
// a fresh instance for every request).
const retireBytes = 80 * 1024 * 1024;
const retireAt = () => Number(context.env.PIXMATCH_WORKER_RETIRE_BYTES) || retireBytes;

// start instantiates the Go module and runs it until it says it is ready.
async function start(inst) {
  const mod = await loadModule();
  inst.go = new Go();
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  // The kernels (shared/internal/simd) work in the Go instance's memory,
  // so they are made after it; its imports forward to them.
  let k;
  const simd = {};
  for (const e of WebAssembly.Module.exports(kernels)) {
    if (e.kind === "function") simd[e.name] = (...args) => k[e.name](...args);
  }
  const instance = new WebAssembly.Instance(mod, {
    ...inst.go.importObject,
    workers: { ready: () => ready() },
    pixmatch_simd: simd,
  });
  inst.memory = instance.exports.mem;
  k = new WebAssembly.Instance(kernels, { go: { mem: inst.memory } }).exports;
  const exited = inst.go.run(instance, context).then(() => {
    throw new Error("the Go instance exited before it was ready");
  });
  await Promise.race([isReady, exited]);
}

// instance returns the isolate's running Go instance, started (or
// started again) if need be, with env and ctx the request's.
async function instance(env, ctx) {
  if (context === undefined) {
    context = createRuntimeContext({ env, ctx, binding: {} });
  }
  context.env = env;
  context.ctx = ctx;
  if (current === undefined || current.retired || current.go?.exited) {
    const inst = { binding: {}, serving: 0, retired: false };
    context.binding = inst.binding; // where the new instance registers handleRequest
    inst.started = start(inst);
    inst.started.catch(() => {
      if (current === inst) current = undefined;
    });
    current = inst;
    logged = 0;
  }
  const inst = current;
  await inst.started;
  return inst;
}

// logMemory logs the current instance's memory when it has grown since
// it was last logged: Go's heap lives in it, and it never shrinks, so the
// last line logged is the instance's peak, to hold against the isolate's
// 128 MB (server/worker TestMeasureWorkerd reads it).
function logMemory(inst) {
  const bytes = inst.memory.buffer.byteLength;
  if (inst === current && bytes > logged) {
    logged = bytes;
    console.log(`${memoryLine} ${bytes} bytes`);
  }
}
const memoryLine = "pixmatch: the Go instance's memory grew to";

// done ends a request of inst: it retires an instance grown past
// retireBytes, and stops a retired one that serves no request any more.
function done(inst) {
  inst.serving--;
  logMemory(inst);
  if (!inst.retired && (inst.binding.retire || inst.memory.buffer.byteLength > retireAt())) {
    inst.retired = true;
  }
  if (inst.retired && inst.serving === 0 && !inst.go.exited) {
    inst.binding.stop();
    console.log(`pixmatch: a retired Go instance ${inst.go.exited ? "stopped" : "did not stop"}`);
  }
}

// The feature tier's trained vocabulary, the static asset /vocabulary.bin
// (server/worker vocabulary_wasm.go): fetched through the assets binding
// on the first call of the isolate and kept as bytes for all its Go
// instances, each of which decodes it once; a failed fetch is tried
// again by the next call.
let vocabulary;
globalThis.pixmatchVocabulary = () => {
  vocabulary ??= context.env.ASSETS.fetch("https://assets.invalid/vocabulary.bin").then(async (res) => {
    if (!res.ok) throw new Error(`/vocabulary.bin: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  });
  vocabulary.catch(() => {
    vocabulary = undefined;
  });
  return vocabulary;
};

// The blobs R2 holds under a binding, read whole (server/worker r2.go):
// one promise for the Go instance to wait for, where syumai/workers'
// Bucket.get made several and converted every field of the object's
// metadata. Feature records are kept for the isolate's life, up to
// keepBytes, least recently read first out: a camera pointed at one
// print sends frame after frame with the same shortlist, each frame's
// search reading the same records. A blob key is never written twice
// (d1.BlobKey), so a kept record is what R2 holds under its key for as
// long as the key is in use; a delete in this isolate forgets it.
const keepBytes = 8 << 20;
const kept = new Map(); // key → Uint8Array, least recently read first
let keptBytes = 0;
globalThis.pixmatchBlob = async (binding, key) => {
  const hit = kept.get(key);
  if (hit !== undefined) {
    kept.delete(key);
    kept.set(key, hit);
    return hit;
  }
  const obj = await context.env[binding].get(key);
  if (obj === null) return null;
  const bytes = new Uint8Array(await obj.arrayBuffer());
  if (key.includes("/features.") && bytes.length <= keepBytes / 16) {
    kept.set(key, bytes);
    keptBytes += bytes.length;
    for (const [k, v] of kept) {
      if (keptBytes <= keepBytes) break;
      kept.delete(k);
      keptBytes -= v.length;
    }
  }
  return bytes;
};
// Several blobs at once, for one wait of the Go instance: an array of
// what pixmatchBlob gives for each key.
globalThis.pixmatchBlobs = (binding, keys) => Promise.all(keys.map((k) => globalThis.pixmatchBlob(binding, k)));
globalThis.pixmatchForget = (key) => {
  const v = kept.get(key);
  if (v !== undefined) {
    kept.delete(key);
    keptBytes -= v.length;
  }
};

// A statement for the Go instance's D1 driver (server/worker d1.go): run
// on the database bound as binding, its answer's text (sql.mjs) handed
// over as UTF-8 bytes, one copy into Go.
const utf8 = new TextEncoder();
globalThis.pixmatchSQL = async (binding, query, args, exec) =>
  utf8.encode(await run(context.env[binding], query, args, exec));

// One request at a time in the Go instance (turn): the Go scheduler runs
// whatever goroutines are ready whenever any JavaScript event resumes it,
// so with two requests inside, one request's Go code ran in the other's
// context, and the runtime refused its I/O there ("Cannot perform I/O on
// behalf of a different request": a body's stream, above all while an
// instance had just started). The isolate's requests take their turns in
// arrival order; each waits for the one before it to be answered, or
// for turnWait: longer than any request takes (the app ends a request's
// work at 90 s, config.Server.RequestTimeout), so that a request whose
// turn never ended (its client gone, its context cancelled before its
// finally ran) holds the isolate's others up no longer than that.
let turn = Promise.resolve();
const turnWait = 100_000;

// The largest body an API of the app reads (server/worker MaxWholeBody,
// Alibaba's 16 MB; TestBodyLimit holds the two equal), and how long a
// client may take to send one (config.Server.BodyTimeout; the variable
// PIXMATCH_WORKER_BODY_MS sets another, for tests).
const bodyLimit = 16 << 20;
const bodyWait = (env) => Number(env.PIXMATCH_WORKER_BODY_MS) || 60_000;

// bodyHeader marks a request whose body worker.mjs took: "read N" when
// it read the body ahead, kept as bodies' N for the Go instance to take
// (pixmatchTakeBody); "late" when it did not arrive in time (its Go side
// reads it as a deadline passed, and the app answers as to a slow
// client), "busy" when the bodies read ahead held all they may (the app
// answers busy). A client's own is removed (server/worker WholeBody).
const bodyHeader = "x-pixmatch-body";

// The bodies read ahead, by number, until the Go instance takes them: a
// body is handed over as the bytes it was read into, not as the body of
// a new Request, which the runtime would copy and Go would read back
// through a stream into one more copy.
const bodies = new Map();
let bodyCount = 0;
globalThis.pixmatchTakeBody = (n) => {
  const body = bodies.get(n);
  bodies.delete(n);
  return body ?? null;
};

// aheadLimit bounds the bytes of the bodies read ahead of their turns,
// in all, counted as they arrive and held until their request is
// answered: two of the largest, so that a client must send 32 MB and
// hold it back from its end to keep others' bodies out, for bodyWait
// at most. JavaScript's share of the isolate's 128 MB (the Go instance
// holds at most one request's: server/worker memory.go).
const aheadLimit = 2 * bodyLimit;
let aheadHeld = 0;

// preread returns req with its body read whole, in its own context and
// before its turn, so that a client sending slowly holds up no other
// request of the isolate, and the bytes it holds of aheadLimit (to be
// given back once it is answered): a body of at most bodyLimit bytes,
// one longer cut at bodyLimit + 1 (the app refuses it as too large, as it
// refuses one whose declared length is over the limit, which is not
// read), kept in bodies for the Go instance and marked with bodyHeader;
// one that took longer than bodyWait, or found no room within
// aheadLimit, is marked with bodyHeader and sent without its body. The
// request handed on has no body of its own: Go takes the bytes read.
async function preread(req, env) {
  const headers = new Headers(req.headers);
  headers.delete(bodyHeader);
  const declared = req.headers.get("content-length");
  if (req.body === null || (declared !== null && Number(declared) > bodyLimit)) {
    return { req: new Request(req, { headers }), held: 0 };
  }
  const reader = req.body.getReader();
  const chunks = [];
  let n = 0;
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve(null), bodyWait(env))));
  const without = (mark) => {
    reader.cancel().catch(() => {});
    aheadHeld -= n;
    headers.set(bodyHeader, mark);
    headers.delete("content-length");
    return { req: new Request(req, { headers, body: "" }), held: 0 };
  };
  try {
    for (;;) {
      const chunk = await Promise.race([reader.read(), late]);
      if (chunk === null) return without("late");
      if (chunk.done) break;
      const take = Math.min(chunk.value.length, bodyLimit + 1 - n);
      if (aheadHeld + take > aheadLimit) return without("busy");
      chunks.push(chunk.value.subarray(0, take));
      n += take;
      aheadHeld += take;
      if (n > bodyLimit) {
        reader.cancel().catch(() => {});
        break;
      }
    }
  } catch (e) {
    aheadHeld -= n; // the client went away
    throw e;
  } finally {
    clearTimeout(timer);
  }
  // One chunk is the body as it came; more are joined (a chunk's bytes
  // are counted, not the buffer beneath, which the runtime sizes).
  let body = chunks[0];
  if (chunks.length !== 1) {
    body = new Uint8Array(n);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.length;
    }
  }
  const id = ++bodyCount;
  bodies.set(id, body);
  headers.set(bodyHeader, `read ${id}`);
  headers.delete("content-length");
  headers.delete("transfer-encoding");
  return { req: new Request(req, { headers, body: null }), held: n, id };
}

async function fetch(original, env, ctx) {
  const { req, held, id } = await preread(original, env);
  const previous = turn;
  let finished;
  turn = new Promise((resolve) => {
    finished = resolve;
  });
  let timer;
  await Promise.race([previous, new Promise((resolve) => (timer = setTimeout(resolve, turnWait)))]);
  clearTimeout(timer);
  try {
    const inst = await instance(env, ctx);
    inst.serving++;
    try {
      return await inst.binding.handleRequest(req);
    } finally {
      done(inst);
    }
  } finally {
    aheadHeld -= held;
    bodies.delete(id); // not taken: its instance did not start
    finished();
  }
}

export default { fetch };
