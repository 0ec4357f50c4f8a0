// The D1 store's conformance suite under workerd (server/store/d1
// TestConformanceUnderWorkerd): the store runs on the host and sends each
// statement here, run on the local D1 by the code that runs the Worker's
// (sql.mjs: prepare, bind, then raw with the column names for a query,
// run for an exec), which answers with the text the host parses as the
// Worker does (d1wire). Bindings come as JSON, a BLOB as {"b": base64}.
// Errors answer 500 with D1's message.
import { run } from "../../d1wire/sql.mjs";

const toBytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const bindable = (v) => (v !== null && typeof v === "object" ? toBytes(v.b) : v);

async function sql(env, { query, args, exec }) {
  return new Response(await run(env.DB, query, args.map(bindable), exec), {
    headers: { "content-type": "application/json" },
  });
}

// reset drops every table of the database (their indexes and triggers
// with them), children before parents, and empties the bucket.
async function reset(env) {
  for (let pass = 0; pass < 10; pass++) {
    const names = (await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    ).raw()).map((r) => r[0]);
    if (names.length === 0) break;
    for (const n of names) {
      try {
        await env.DB.prepare(`DROP TABLE IF EXISTS "${n.replaceAll('"', '""')}"`).run();
      } catch {
        // referenced by a table not dropped yet: the next pass
      }
    }
  }
  for (;;) {
    const listed = await env.BUCKET.list({ limit: 1000 });
    if (listed.objects.length === 0) break;
    await env.BUCKET.delete(listed.objects.map((o) => o.key));
  }
  return {};
}

async function blob(env, url, req) {
  const key = url.searchParams.get("key");
  switch (req.method) {
    case "PUT":
      await env.BUCKET.put(key, await req.arrayBuffer());
      return new Response(null, { status: 204 });
    case "GET": {
      const obj = await env.BUCKET.get(key);
      return obj === null ? new Response(null, { status: 404 }) : new Response(await obj.arrayBuffer());
    }
    case "DELETE":
      await env.BUCKET.delete(key);
      return new Response(null, { status: 204 });
  }
  return new Response(null, { status: 405 });
}

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    try {
      switch (url.pathname) {
        case "/ping":
          return new Response("pong");
        case "/sql":
          return await sql(env, await req.json());
        case "/reset":
          return Response.json(await reset(env));
        case "/blob":
          return await blob(env, url, req);
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return new Response(String(e?.message ?? e), { status: 500 });
    }
  },
};
