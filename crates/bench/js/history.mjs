// history: one edit on a long-history document. A types a synthetic editing
// trace into a text, B fetches the document, then A types one character at a
// time and B waits for each. Result: {"build_ms", "text_chars", "changes",
// "samples": [{"commit_ms", "seen_ms", "bytes", "change_bytes"}], "wire_bytes"}.
//
// The same work as the Rust side (history.rs): the trace is its `type_trace`
// ported exactly (the same xorshift, the same rules, ten edits per change),
// so both systems hold the same text; the harness checks `text_chars`.
//
// Both repos live in one process so one clock times both ends (as
// latency.mjs). A listens; B connects to `--connect-url`, the harness's link,
// which adds the round trip. The bytes are counted on A's end of that
// connection (the socket the link opened to A), which carries exactly what
// the link carries: the harness checks `wire_bytes` against the link's count.
import fs from "node:fs";
import path from "node:path";
import { WebSocketServer } from "ws";
import {
  WebSocketClientAdapter,
  WebSocketServerAdapter,
} from "@automerge/automerge-repo-network-websocket";
import { A, args, finish, makeRepo, progress, run, sleep, timeout } from "./lib.mjs";

const opt = args({
  edits: { required: true, int: true },
  samples: { required: true, int: true },
  // A's and B's NodeFS stores go in their own directories under this one.
  storage: { required: true },
  port: { int: true, default: 0 },
  "connect-url": { required: true },
  // The link's round trip: the wire counts as quiet after three of them.
  "rtt-ms": { int: true, default: 50 },
});

const EDITS_PER_CHANGE = 10;
const SAMPLE_TIMEOUT_MS = 10_000;
const FETCH_TIMEOUT_MS = 120_000;

/** The Rust side's xorshift64 (13, 7, 17), same seed; BigInt for its u64 wrap-around. */
function xorshift() {
  const mask = (1n << 64n) - 1n;
  let rng = 0x853c_49e6_748f_ea9bn;
  return () => {
    rng ^= (rng << 13n) & mask;
    rng ^= rng >> 7n;
    rng ^= (rng << 17n) & mask;
    return rng;
  };
}

/**
 * `type_trace` of history.rs: 70% insertions, mostly at the cursor, 30%
 * deletions before it, and now and then the cursor moves. The edits of one
 * change are decided first (they depend only on the length and the cursor,
 * tracked here as there) and then made in one Automerge.change.
 */
function typeTrace(edits) {
  const next = xorshift();
  let doc = A.from({ text: "" });
  let len = 0;
  let cursor = 0;
  let pending = [];
  const commit = () => {
    const ops = pending;
    pending = [];
    if (ops.length === 0) return; // Rust's commit of nothing makes no change either
    doc = A.change(doc, { message: "typed" }, d => {
      for (const [at, del, insert] of ops) A.splice(d, ["text"], at, del, insert);
    });
  };
  for (let i = 0; i < edits; i++) {
    const roll = next() % 100n;
    if (roll < 5n && len > 0) cursor = Number(next() % BigInt(len + 1));
    if (roll < 70n || len === 0 || cursor === 0) {
      pending.push([cursor, 0, String.fromCharCode(97 + Number(next() % 26n))]);
      cursor += 1;
      len += 1;
    } else {
      pending.push([cursor - 1, 1, ""]);
      cursor -= 1;
      len -= 1;
    }
    if ((i + 1) % EDITS_PER_CHANGE === 0) commit();
  }
  commit();
  return doc;
}

/** Bytes read and written on every connection A accepted (from the link). */
function wireCounter(wss) {
  const sockets = [];
  wss.on("connection", (_ws, req) => {
    const socket = req.socket;
    sockets.push({ socket, closed: new Promise(resolve => socket.once("close", resolve)) });
  });
  return {
    bytes: () => sockets.reduce((n, { socket }) => n + socket.bytesRead + socket.bytesWritten, 0),
    closed: () => Promise.all(sockets.map(s => s.closed)),
  };
}

/** Waits until nothing crossed for three round trips (as history.rs's `settle`). */
async function settle(wire) {
  let last = wire.bytes();
  for (;;) {
    await sleep(3 * opt["rtt-ms"]);
    const now = wire.bytes();
    if (now === last) return;
    last = now;
  }
}

/**
 * One sample: A types one character at the end; timed from A's change
 * returning until B's handle emits a change holding it; counted: the bytes
 * that crossed from before the edit until the wire is quiet again.
 */
async function sample(ha, hb, wire, i) {
  await settle(wire);
  const before = wire.bytes();
  let hash;
  let listener;
  const seen = new Promise(resolve => {
    listener = ({ doc }) => {
      if (hash && A.getHeads(doc).includes(hash)) resolve(performance.now());
    };
    hb.on("change", listener);
  });
  const c = String.fromCharCode(97 + (i % 26));
  const started = performance.now();
  const end = ha.doc().text.length;
  ha.change(d => A.splice(d, ["text"], end, 0, c), { message: "typed" });
  const committed = performance.now();
  const change = A.getLastLocalChange(ha.doc());
  hash = A.decodeChange(change).hash;
  try {
    const at = await Promise.race([seen, timeout(SAMPLE_TIMEOUT_MS, `edit ${i} reaching B`)]);
    await settle(wire);
    return {
      commit_ms: committed - started,
      seen_ms: at - committed,
      bytes: wire.bytes() - before,
      change_bytes: change.length,
    };
  } finally {
    hb.off("change", listener);
  }
}

run(async () => {
  const t0 = performance.now();
  const doc = typeTrace(opt.edits);
  const buildMs = performance.now() - t0;
  const textChars = doc.text.length;
  const changes = A.getAllChanges(doc).length;
  progress(`history.mjs: typed ${opt.edits} edits (${changes} changes) in ${(buildMs / 1000).toFixed(1)} s`);

  const wss = new WebSocketServer({ host: "127.0.0.1", port: opt.port });
  await new Promise((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  const wire = wireCounter(wss);
  const a = makeRepo({
    storageDir: path.join(opt.storage, "a"),
    network: [new WebSocketServerAdapter(wss)],
    sharePolicy: async () => true,
  });
  // The document, history and all, handed to the repo as a saved file.
  const ha = a.repo.import(A.save(doc));
  fs.mkdirSync(path.join(opt.storage, "b"), { recursive: true });
  const b = makeRepo({
    storageDir: path.join(opt.storage, "b"),
    network: [new WebSocketClientAdapter(opt["connect-url"])],
  });
  const fetchStarted = performance.now();
  // find() before B has met A reports the document unavailable at once (and will not
  // ask again), so B first waits to see its peer.
  const fetchDoc = async () => {
    while (b.repo.peers.length === 0) await sleep(10);
    return b.repo.find(ha.url);
  };
  const hb = await Promise.race([fetchDoc(), timeout(FETCH_TIMEOUT_MS, "B fetching the document")]);
  progress(`history.mjs: B fetched it in ${(performance.now() - fetchStarted).toFixed(0)} ms`);
  // Both stores hold it before the first sample, so no save of the whole
  // document runs during one.
  for (const { repo, storage } of [a, b]) {
    await repo.flush([ha.documentId]);
    await storage.settled();
  }

  const samples = [];
  for (let i = 0; i < opt.samples; i++) samples.push(await sample(ha, hb, wire, i));

  // B leaves; once A's end of the connection is closed its count is final.
  await b.repo.shutdown().catch(() => {});
  await b.storage.settled();
  await Promise.race([wire.closed(), timeout(10_000, "the connection closing")]);
  const wireBytes = wire.bytes();
  await a.repo.shutdown().catch(() => {});
  await a.storage.settled();
  wss.close();
  finish({
    build_ms: buildMs,
    text_chars: textChars,
    changes,
    samples,
    wire_bytes: wireBytes,
  });
});
