// selftest: runs every script once at toy sizes, the way the Rust harness
// does (child processes, last stdout line = JSON), and checks the results
// make sense. `npm run selftest`; exits non-zero if any check fails.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { generateDocs } from "./gen.mjs";
import { A, makeRepo, readIds, sleep } from "./lib.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const t0 = performance.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "am-bench-selftest-"));
let passed = 0;
let failed = 0;
const out = line => process.stdout.write(`${line}\n`);

function check(name, ok, detail = "") {
  if (ok) passed++;
  else failed++;
  out(`${ok ? "ok  " : "FAIL"} ${name}${detail ? `: ${detail}` : ""}`);
}

/** Spawns `node script args`; resolves {code, result, stdout, stderr}. */
function node(script, argv, { nodeFlags = [], onStdout } = {}) {
  const child = spawn(process.execPath, [...nodeFlags, path.join(HERE, script), ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", d => {
    stdout += d;
    onStdout?.(stdout, child);
  });
  child.stderr.on("data", d => (stderr += d));
  const done = new Promise(resolve =>
    child.on("exit", (code, signal) => {
      const last = stdout.trimEnd().split("\n").pop();
      let result;
      try {
        result = JSON.parse(last);
      } catch {
        result = undefined;
      }
      resolve({ code, signal, result, stdout, stderr: stderr.trim() });
    }),
  );
  return { child, done };
}

/** Runs a script to completion and checks exit 0 + a JSON last line. */
async function step(name, script, argv, opts) {
  const s = performance.now();
  const r = await node(script, argv, opts).done;
  const ms = (performance.now() - s).toFixed(0);
  const shown = JSON.stringify(r.result, (k, v) => (k === "heads" ? `{${Object.keys(v).length} docs}` : v));
  check(`${name} (${ms} ms)`, r.code === 0 && r.result !== undefined, r.code === 0 ? shown : `exit ${r.code}: ${r.stderr}`);
  return r.result ?? {};
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const sameHeads = (a, b) => JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());

/** Another peer edits one document through the server, so reconnect has something to catch up on. */
async function editThroughServer(url, id) {
  const { repo } = makeRepo({ network: [new WebSocketClientAdapter(url)] });
  const handle = await repo.find(id);
  handle.change(d => {
    d.selftest_edit = "made by selftest between join and reconnect";
  });
  const deadline = performance.now() + 10_000;
  // Done once the server reports our new heads back (see reconnect.mjs).
  while (performance.now() < deadline) {
    const storageIds = repo.peers.map(p => repo.getStorageIdOfPeer(p));
    if (storageIds.some(s => s && sameHeads(handle.getSyncInfo(s)?.lastHeads, handle.heads()))) break;
    await sleep(20);
  }
  const heads = A.getHeads(handle.doc());
  await repo.shutdown();
  return heads;
}

async function main() {
  out(`selftest in ${tmp}`);
  const docsDir = path.join(tmp, "docs");
  const srcHeads = generateDocs(docsDir, { docs: 5, changes: 20 });
  const idsFile = path.join(tmp, "ids.json");
  const srv = path.join(tmp, "server");

  // Usage errors: exit 2 with one stderr line.
  const bad = await node("seed.mjs", ["--nope", "1"]).done;
  check("unknown flag exits 2", bad.code === 2 && bad.stderr.split("\n").length === 1, bad.stderr);

  const seed = await step("seed", "seed.mjs", ["--docs", docsDir, "--storage", srv, "--out", idsFile]);
  check("seed imported 5 docs", seed.docs === 5);
  const ids = readIds(idsFile);

  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  let ready;
  const readyLine = new Promise(resolve => (ready = resolve));
  const server = node("serve.mjs", ["--storage", srv, "--port", String(port)], {
    onStdout: s => s.includes('{"ready":true}') && ready(),
  });
  await Promise.race([readyLine, server.done, sleep(10_000)]);
  check("serve printed ready", server.child.exitCode === null && server.child.signalCode === null);

  try {
    const peer = path.join(tmp, "peer");
    const join = await step("join", "join.mjs", ["--url", url, "--ids", idsFile, "--storage", peer, "--retry-unavailable"]);
    check("join got every doc", join.docs_ok === 5 && join.missing === 0, `unavailable_first=${join.unavailable_first}`);
    const wrong = Object.keys(srcHeads).filter(n => !sameHeads(join.heads?.[n], srcHeads[n]));
    check("join heads equal the source's", wrong.length === 0, wrong.join(" "));

    const [editedName, editedId] = ids[0];
    const editedHeads = await editThroughServer(url, editedId);
    const rec = await step("reconnect", "reconnect.mjs", ["--url", url, "--ids", idsFile, "--storage", peer]);
    check("reconnect synced every doc", rec.docs_ok === 5 && rec.missing === 0);
    const expect = { ...srcHeads, [editedName]: editedHeads };
    const stale = Object.keys(expect).filter(n => !sameHeads(rec.heads?.[n], expect[n]));
    check("reconnect caught up with the edit made meanwhile", stale.length === 0, stale.join(" "));
  } finally {
    server.child.kill("SIGTERM");
    const s = await server.done;
    check("serve exits 0 on SIGTERM", s.code === 0, `code=${s.code} signal=${s.signal}`);
  }

  const lat = await step("latency", "latency.mjs", ["--samples", "5"]);
  check("latency has 5 samples", lat.samples_ms?.length === 5 && lat.samples_ms.every(x => x > 0));

  const part = await step("partition", "partition.mjs", ["--storage", path.join(tmp, "partition"), "--edits", "5"]);
  check("partition converged on every word", part.words === 25 && part.ms >= part.memory_ms && part.heads?.length === 5);

  const histPort = await freePort();
  const hist = await step("history", "history.mjs", [
    "--edits", "500", "--samples", "2", "--storage", path.join(tmp, "history"),
    "--port", String(histPort), "--connect-url", `ws://127.0.0.1:${histPort}`, "--rtt-ms", "5",
  ]);
  check(
    "history measured 2 edits",
    hist.samples?.length === 2 && hist.samples.every(s => s.bytes > s.change_bytes && s.seen_ms > 0) && hist.text_chars > 0,
  );

  const disk = await step("disk", "disk.mjs", ["--changes", "50", "--storage", path.join(tmp, "disk")]);
  check("disk sizes are positive integers", Number.isInteger(disk.storage_bytes) && disk.storage_bytes > 0 && disk.files > 0);

  const mem = await step("memory", "memory.mjs", ["--storage", srv, "--ids", idsFile, "--open", "5"], {
    nodeFlags: ["--expose-gc"],
  });
  check("memory opened 5", mem.open === 5 && mem.rss_bytes > 0);

  const start = await step("startup", "startup.mjs", ["--storage", srv, "--ids", idsFile]);
  check("startup reported ready_ms", start.ready_ms > 0);

  // durable write: kill -9 ~300 ms after the first ack, then check.
  const dstore = path.join(tmp, "durable");
  const idFile = path.join(tmp, "durable.id");
  let firstAck;
  const gotAck = new Promise(resolve => (firstAck = resolve));
  const writer = node("durable.mjs", ["write", "--storage", dstore, "--doc-out", idFile], {
    onStdout: s => s.includes("ack ") && firstAck(),
  });
  await Promise.race([gotAck, writer.done, sleep(10_000)]);
  await sleep(300);
  writer.child.kill("SIGKILL");
  const w = await writer.done;
  const acks = w.stdout.match(/^ack \d+$/gm) ?? [];
  const lastAck = acks.length ? Number(acks.at(-1).slice(4)) : 0;
  check("durable write acked before kill -9", w.signal === "SIGKILL" && lastAck > 0, `last ack ${lastAck}`);
  const dc = await step("durable check", "durable.mjs", ["check", "--storage", dstore, "--doc", fs.readFileSync(idFile, "utf8").trim()]);
  // A lost ack is a finding about automerge-repo, not a script failure.
  if (!(dc.loaded && dc.last >= lastAck)) out(`NOTE durable: acked ${lastAck}, found ${JSON.stringify(dc)}`);

  const qstore = path.join(tmp, "quick");
  const q = await step("durable quick-exit", "durable.mjs", ["quick-exit", "--storage", qstore, "--edits", "20"]);
  const qc = await step("durable check (quick-exit)", "durable.mjs", ["check", "--storage", qstore, "--doc", String(q.doc)]);
  if (!(qc.loaded && qc.words === 20)) out(`NOTE quick-exit: 20 edits, found ${JSON.stringify(qc)}`);
}

try {
  await main();
} catch (err) {
  check("selftest ran to the end", false, err?.stack ?? String(err));
}
fs.rmSync(tmp, { recursive: true, force: true });
out(`selftest took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
out(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
