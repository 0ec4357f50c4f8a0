// sql.mjs: a statement run on a D1 database as syumai/workers' d1 driver
// runs it — prepare, bind, then raw with the column names for a query,
// run for an exec — its answer written as the text package d1wire
// (wire.go) parses: one string for the whole answer, where reading it
// value by value from Go cost a call into JavaScript for each. The
// Worker's driver (server/worker d1.go, through worker.mjs) and the
// conformance suite's proxy (testdata/workerd/proxy.mjs) both run their
// statements here.

// run runs query on db with args bound (numbers, strings, booleans,
// null, and Uint8Arrays for BLOBs) and returns its answer's text: for a
// query, the column names and then each row, a BLOB as an array of its
// byte values (D1 hands one over as an ArrayBuffer, or locally as such
// an array); for an exec, [changes, last_row_id].
export async function run(db, query, args, exec) {
  const stmt = db.prepare(query).bind(...args);
  if (exec) {
    const r = await stmt.run();
    return JSON.stringify([r.meta?.changes ?? null, r.meta?.last_row_id ?? null]);
  }
  const rows = await stmt.raw({ columnNames: true });
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        row[i] = Array.from(new Uint8Array(v));
      }
    }
  }
  return JSON.stringify(rows);
}
