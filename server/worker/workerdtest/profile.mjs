// profile.mjs records a V8 CPU profile of the Worker's isolate through
// the inspector `wrangler dev --inspector-port PORT` serves:
//
//	node profile.mjs PORT OUT.cpuprofile [INTERVAL_US]
//
// It starts the profiler, prints "started", and stops it when its
// standard input ends, writing the profile to OUT (Chrome's .cpuprofile)
// and printing the isolate's heap usage as it was then, as one line of
// JSON (Runtime.getHeapUsage: usedSize and totalSize of the JavaScript
// heap, backingStorageSize of its array buffers; the WebAssembly memory
// of the Go instance is not among them). server/worker's
// TestMeasureWorkerd runs it with -profile.
import { writeFileSync } from "node:fs";

const [port, out, interval = "200"] = process.argv.slice(2);
// The inspector proxy of wrangler refuses a connection without an Origin.
const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { Origin: "http://127.0.0.1" } });
let id = 0;
const pending = new Map();
const send = (method, params = {}) =>
  new Promise((resolve, reject) => {
    const n = ++id;
    pending.set(n, { resolve, reject });
    ws.send(JSON.stringify({ id: n, method, params }));
  });
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  msg.error ? p.reject(new Error(JSON.stringify(msg.error))) : p.resolve(msg.result);
};
ws.onerror = (e) => {
  console.error("inspector:", e.message ?? e);
  process.exit(1);
};
ws.onopen = async () => {
  await send("Runtime.enable");
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: Number(interval) });
  await send("Profiler.start");
  console.log("started");
  process.stdin.resume();
  process.stdin.on("end", async () => {
    const heap = await send("Runtime.getHeapUsage");
    const { profile } = await send("Profiler.stop");
    writeFileSync(out, JSON.stringify(profile));
    console.log(JSON.stringify(heap));
    process.exit(0);
  });
};
