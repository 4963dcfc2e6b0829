// serve: the "ten-line" automerge-repo sync server a developer would write:
// NodeFS storage + a WebSocket server adapter, sharing everything.
// Prints {"ready": true} once listening (its only stdout line); exits 0 on SIGTERM.
import { WebSocketServer } from "ws";
import { WebSocketServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { args, fail, makeRepo, progress, run } from "./lib.mjs";

const opt = args({
  storage: { required: true },
  port: { required: true, int: true },
});

let wss;
let repo;
let storage;

// Registered first so a SIGTERM at any moment still ends in exit 0.
let stopping = false;
process.on("SIGTERM", async () => {
  if (stopping) return;
  stopping = true;
  progress("serve.mjs: SIGTERM, shutting down");
  // repo.shutdown() would flush every handle and reject on the unavailable
  // ones (documents a client asked for that we lack), so flush the ready
  // ones ourselves; a failed flush must not block the exit.
  try {
    if (repo) {
      const ready = Object.values(repo.handles).filter(h => h.isReady()).map(h => h.documentId);
      await repo.flush(ready);
      await storage.settled();
    }
  } catch (err) {
    progress(`serve.mjs: flush on shutdown failed: ${err.message}`);
  }
  wss?.close();
  process.exit(0);
});

run(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: opt.port });
  await new Promise((resolve, reject) => {
    wss.once("listening", resolve);
    wss.once("error", reject);
  }).catch(err => fail(`serve.mjs cannot listen on 127.0.0.1:${opt.port}: ${err.message}`));
  ({ repo, storage } = makeRepo({
    storageDir: opt.storage,
    network: [new WebSocketServerAdapter(wss)],
    sharePolicy: async () => true,
  }));
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
});
