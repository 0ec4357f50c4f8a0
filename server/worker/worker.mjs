// worker.mjs: pixmatch's Worker entry point, copied by `make worker` over
// the build/worker.mjs that syumai/workers' workers-assets-gen writes.
//
// The generated one starts a fresh Go instance for every request (new
// Go(), a new WebAssembly.Instance, go.run), so each request paid the Go
// runtime's start, the packages' init and the store's opening. This one
// starts the instance once per isolate, on its first request, and hands
// every request after to it: the Go side (cmd/main.go) serves with
// workers.ServeNonBlock and Ready and never returns.
//
// The Go side reads the runtime context (globalThis.context in Go: env,
// ctx, connect and binding, where it registers handleRequest) through
// one object kept for the isolate's life; each request sets its env and
// ctx there before it is handed over. env's bindings (D1, R2, vars) are
// the same for every request of an isolate. An instance that exited (a
// panic outside a handler) is replaced by a fresh one on the next
// request; a start that failed is tried again.
import "./wasm_exec.js";
import { createRuntimeContext, loadModule } from "./runtime.mjs";

globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

let context; // the runtime context the running instance reads
let go; // the running instance's Go, undefined before the first start
let started; // resolves when the running instance is ready to serve
let memory; // the running instance's linear memory
let logged = 0; // the size of memory last logged, in bytes

// start instantiates the Go module and runs it until it says it is ready.
async function start() {
  const mod = await loadModule();
  const g = new Go();
  let ready;
  const isReady = new Promise((resolve) => {
    ready = resolve;
  });
  const instance = new WebAssembly.Instance(mod, {
    ...g.importObject,
    workers: { ready: () => ready() },
  });
  go = g;
  memory = instance.exports.mem;
  logged = 0;
  const exited = g.run(instance, context).then(() => {
    throw new Error("the Go instance exited before it was ready");
  });
  await Promise.race([isReady, exited]);
}

// instance returns the binding of the isolate's running Go instance,
// started (or started again) if need be, with env and ctx the request's.
async function instance(env, ctx) {
  if (context === undefined) {
    context = createRuntimeContext({ env, ctx, binding: {} });
  }
  context.env = env;
  context.ctx = ctx;
  if (started === undefined || go.exited) {
    context.binding = {};
    started = start();
    started.catch(() => {
      started = undefined;
    });
  }
  await started;
  return context.binding;
}

// logMemory logs the Go instance's memory when it has grown since it
// was last logged: Go's heap lives in it, and it never shrinks, so the
// last line logged is the instance's peak, to hold against the isolate's
// 128 MB (server/worker TestMeasureWorkerd reads it).
function logMemory() {
  const bytes = memory.buffer.byteLength;
  if (bytes > logged) {
    logged = bytes;
    console.log(`${memoryLine} ${bytes} bytes`);
  }
}
const memoryLine = "pixmatch: the Go instance's memory grew to";

async function fetch(req, env, ctx) {
  const binding = await instance(env, ctx);
  const res = await binding.handleRequest(req);
  logMemory();
  return res;
}

export default { fetch };
