// PouchDB side of bench/field_day_net.py: the field day replicated with PouchDB.
//
//   NODE_PATH=<dir>/node_modules node bench/pouch_client.js URL WORKDIR
//
// Set-up (link unshaped): the server database gets tablet A's bootstrap state, A
// replicates it into an in-memory PouchDB, a colleague edits 20 dossiers on the server
// and A records the field day locally (photos as binary attachments). Then it prints
// READY and waits for GO on stdin (the orchestrator applies the link profile), runs one
// sync (push and pull), retrying a failed one as an app would, and prints the result
// as one JSON line.
"use strict";
const fs = require("fs");
const path = require("path");
const readline = require("readline");
const PouchDB = require("pouchdb-core")
  .plugin(require("pouchdb-adapter-memory"))
  .plugin(require("pouchdb-adapter-http"))
  .plugin(require("pouchdb-replication"));

const [url, workdir, deadlineArg] = process.argv.slice(2);
const deadlineS = Number(deadlineArg || 3600);
const workload = JSON.parse(fs.readFileSync(path.join(workdir, "workload.json"), "utf8"));
const docId = (c, r) => `${c}:${r}`;

function waitForGo() {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin });
    rl.on("line", (line) => {
      if (line.trim() === "GO") {
        rl.close();
        resolve();
      }
    });
  });
}

async function main() {
  const remote = new PouchDB(`${url}/commune`);
  const existing = [];
  for (const [c, records] of Object.entries(workload.existing)) {
    for (const record of records) {
      const { id, ...fields } = record;
      existing.push({ _id: docId(c, String(id)), c, ...fields });
    }
  }
  for (let i = 0; i < existing.length; i += 500) {
    await remote.bulkDocs(existing.slice(i, i + 500));
  }
  const local = new PouchDB("tablet-a", { adapter: "memory" });
  await local.replicate.from(remote);
  for (const [rid, fields] of Object.entries(workload.colleague_edits)) {
    const doc = await remote.get(docId("dossier", rid));
    await remote.put({ ...doc, ...fields });
  }
  const docs = workload.records.map((r) => {
    const doc = { _id: docId(r.c, r.r), c: r.c, ...r.f };
    if (r.c === "attachment") {
      const photo = workload.photos[r.f.sha256];
      doc._attachments = {
        [r.f.filename || "photo.jpg"]: {
          content_type: photo.type,
          data: fs.readFileSync(photo.path),
        },
      };
    }
    return doc;
  });
  const ids = new Set(docs.map((d) => d._id));
  for (const doc of docs) {
    try {
      const old = await local.get(doc._id);
      doc._rev = old._rev;
    } catch (e) {
      /* new */
    }
  }
  await local.bulkDocs(docs);
  process.stdout.write("READY\n");
  await waitForGo();

  const started = Date.now();
  let attempts = 0;
  let ok = false;
  let last = null;
  let error = null;
  while (!ok && (Date.now() - started) / 1000 < deadlineS) {
    attempts += 1;
    try {
      last = await local.sync(remote, { batch_size: 100 });
      ok = last.push.ok && last.pull.ok;
    } catch (e) {
      error = String(e && (e.message || e.name || e));
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  const wall = (Date.now() - started) / 1000;
  let seen = 0;
  for (const [rid, fields] of Object.entries(workload.colleague_edits)) {
    const doc = await local.get(docId("dossier", rid));
    if (doc.note === fields.note) seen += 1;
  }
  process.stdout.write(
    JSON.stringify({
      ok,
      wall_s: wall,
      sync_attempts: attempts,
      error,
      docs_written_up: last ? last.push.docs_written : null,
      docs_written_down: last ? last.pull.docs_written : null,
      records: ids.size,
      colleague_edits_seen: seen,
    }) + "\n"
  );
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.stack) }) + "\n");
  process.exit(1);
});
