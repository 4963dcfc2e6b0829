// partition: five devices hold one document; they go apart, each types its own
// words into the text while apart, then the link returns and they converge.
// Result: {"ms", "memory_ms", "words", "heads"}.
//
// The same work as the Rust side (partition.rs): device 0, the founder, is
// the sync server (a repo on a WebSocket server, the automerge-repo way); the
// four others connect to it over loopback. Going apart is done as Mutual does
// it: every repo shuts down, then each opens its own store with no network and
// types `d<k>w<i> ` words, one change each, at the end of the text.
//
// One process holds all five repos, as the Rust harness holds its five Mutual
// runtimes in one process, so one clock times the convergence. Node runs them
// on one thread; Mutual's runtimes share the harness's two worker threads.
import fs from "node:fs";
import path from "node:path";
import { WebSocketServer } from "ws";
import {
  WebSocketClientAdapter,
  WebSocketServerAdapter,
} from "@automerge/automerge-repo-network-websocket";
import { A, args, finish, makeRepo, progress, run, sleep, timeout } from "./lib.mjs";

const opt = args({
  // Each device's NodeFS store goes in its own directory under this one.
  storage: { required: true },
  edits: { required: true, int: true },
});

const DEVICES = 5;
// How often convergence is checked: the resolution of the figure, as on the Rust side.
const POLL_MS = 25;
const PATIENCE_MS = 120_000;

const word = (k, i) => `d${k}w${i}`;

/** A WebSocket server on a free loopback port. */
async function listen() {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  return wss;
}

/** Device k's repo on its own store: the founder serves on `wss`, the others use `network`. */
function device(k, { wss, network = [] } = {}) {
  const storageDir = path.join(opt.storage, `device-${k}`);
  if (k === 0 && wss) {
    return makeRepo({ storageDir, network: [new WebSocketServerAdapter(wss)], sharePolicy: async () => true });
  }
  return makeRepo({ storageDir, network });
}

/**
 * Saves every device's document and shuts it down. flush() names the
 * document (flush() of everything throws on a handle that is not ready), and
 * settled() waits for the background saves flush() does not wait for.
 */
async function store(devices, documentId) {
  for (const { repo, storage } of devices) {
    await repo.flush([documentId]);
    await storage.settled();
  }
}

async function stop(devices, wss) {
  for (const { repo, storage } of devices) {
    await repo.shutdown().catch(() => {});
    await storage.settled();
  }
  for (const client of wss?.clients ?? []) client.terminate();
  wss?.close();
}

/** Together first: the founder makes the document, every device fetches and stores it. */
async function together() {
  const wss = await listen();
  const url = `ws://127.0.0.1:${wss.address().port}`;
  const devices = [device(0, { wss })];
  const handle = devices[0].repo.create({ text: "" });
  for (let k = 1; k < DEVICES; k++) {
    devices.push(device(k, { network: [new WebSocketClientAdapter(url)] }));
  }
  // find() before the client has met the server reports the document unavailable at
  // once (and will not ask again), so each client first waits to see its peer.
  const fetch = async d => {
    while (d.repo.peers.length === 0) await sleep(10);
    return d.repo.find(handle.url);
  };
  await Promise.race([
    Promise.all(devices.slice(1).map(fetch)),
    timeout(30_000, "the devices fetching the document"),
  ]);
  await store(devices, handle.documentId);
  await stop(devices, wss);
  return handle.url;
}

/** Apart: each device opens its store with no network and types its own words, one change each. */
async function apart(docUrl) {
  for (let k = 0; k < DEVICES; k++) {
    const d = device(k);
    const handle = await d.repo.find(docUrl);
    for (let i = 0; i < opt.edits; i++) {
      const w = `${word(k, i)} `;
      handle.change(doc => {
        A.splice(doc, ["text"], doc.text.length, 0, w);
      });
    }
    await store([d], handle.documentId);
    await stop([d]);
  }
}

/** Whether every handle holds the same heads and every word. */
function converged(handles, want) {
  const heads = handles.map(h => A.getHeads(h.doc()).sort().join());
  if (heads.some(h => h !== heads[0])) return false;
  const words = new Set(handles[0].doc().text.split(/\s+/));
  return want.every(w => words.has(w));
}

/**
 * The link returns: every device opens its store again (untimed, like the
 * Rust side starting its runtimes), then the clock starts and the four
 * others connect to the founder. Done once all five hold the same heads with
 * every word, and have stored them (the Rust side reads heads from stores).
 */
async function heal(docUrl) {
  const wss = await listen();
  const url = `ws://127.0.0.1:${wss.address().port}`;
  const devices = [device(0, { wss })];
  for (let k = 1; k < DEVICES; k++) devices.push(device(k));
  const handles = [];
  for (const d of devices) handles.push(await d.repo.find(docUrl));
  const want = [];
  for (let k = 0; k < DEVICES; k++) for (let i = 0; i < opt.edits; i++) want.push(word(k, i));

  const started = performance.now();
  // The repos were made with no network so that opening the store stays
  // outside the clock; adding the adapter is the dial. (networkSubsystem is
  // a @hidden but public field; the adapter connects as it is added.)
  for (const d of devices.slice(1)) d.repo.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(url));
  while (!converged(handles, want)) {
    if (performance.now() - started > PATIENCE_MS) throw new Error("the devices did not converge");
    await sleep(POLL_MS);
  }
  const memoryMs = performance.now() - started;
  await store(devices, handles[0].documentId);
  const ms = performance.now() - started;
  const heads = A.getHeads(handles[0].doc());
  const words = handles[0].doc().text.split(/\s+/).filter(Boolean).length;
  await stop(devices, wss);
  return { ms, memory_ms: memoryMs, words, heads };
}

run(async () => {
  fs.mkdirSync(opt.storage, { recursive: true });
  const docUrl = await together();
  await apart(docUrl);
  const result = await heal(docUrl);
  progress(`partition.mjs: converged in ${result.memory_ms.toFixed(0)} ms, stored in ${result.ms.toFixed(0)} ms`);
  finish(result);
});
