// latency: one-way change propagation between two automerge-repo peers over
// a loopback WebSocket, one edit at a time. Result: {"samples_ms": [...]}.
// Both repos live in one process so a single clock times both ends.
import fs from "node:fs";
import path from "node:path";
import { WebSocketServer } from "ws";
import {
  WebSocketClientAdapter,
  WebSocketServerAdapter,
} from "@automerge/automerge-repo-network-websocket";
import { appendWord, args, finish, makeRepo, progress, run, sleep, timeout } from "./lib.mjs";

const opt = args({
  samples: { required: true, int: true },
  port: { int: true, default: 0 },
  "storage-dir": {},
  // Where B connects (e.g. a link that adds a round-trip time): default A's port.
  "connect-url": {},
  // automerge-repo throttles outgoing sync to one run per 100 ms per
  // document, so a sample is roughly max(0, 100 - pause) ms plus transit.
  "pause-ms": { int: true, default: 20 },
});

const WARMUP = 5;
const SAMPLE_TIMEOUT_MS = 10_000;

run(async () => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: opt.port });
  await new Promise((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  });
  const port = wss.address().port;
  // Default is in-memory; --storage-dir D puts both peers on NodeFS under D.
  let dirA;
  let dirB;
  if (opt["storage-dir"]) {
    const base = fs.mkdtempSync(path.join(opt["storage-dir"], "latency-"));
    dirA = path.join(base, "a");
    dirB = path.join(base, "b");
  }
  const a = makeRepo({ storageDir: dirA, network: [new WebSocketServerAdapter(wss)] }).repo;
  const url = opt["connect-url"] ?? `ws://127.0.0.1:${port}`;
  const b = makeRepo({ storageDir: dirB, network: [new WebSocketClientAdapter(url)] }).repo;

  const ha = a.create({ text: "" });
  const hb = await Promise.race([b.find(ha.url), timeout(SAMPLE_TIMEOUT_MS, "B finding A's document")]);

  // One sample: A makes one change; the clock stops when B's handle emits
  // "change" with that word at the end of its text.
  async function sample(i) {
    let listener;
    const seen = new Promise(resolve => {
      listener = ({ doc }) => {
        if (doc.text.endsWith(word)) resolve(performance.now());
      };
      hb.on("change", listener);
    });
    const start = performance.now();
    const word = appendWord(ha, i);
    try {
      const end = await Promise.race([seen, timeout(SAMPLE_TIMEOUT_MS, `sample ${i}`)]);
      return end - start;
    } finally {
      hb.off("change", listener);
    }
  }

  const samples = [];
  for (let i = 0; i < WARMUP + opt.samples; i++) {
    const ms = await sample(i);
    if (i >= WARMUP) samples.push(ms);
    await sleep(opt["pause-ms"]);
  }
  progress(`latency.mjs: ${samples.length} samples on port ${port}`);
  await b.shutdown().catch(() => {});
  await a.shutdown().catch(() => {});
  wss.close();
  finish({ samples_ms: samples });
});
