// join: a cold peer fetches every seeded document from the sync server and
// persists it, the way a new device joining would.
// Result: {"ms", "import_ms", "docs_ok", "unavailable_first", "missing", "heads": {name: [...]}}.
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { A, args, finish, makeRepo, progress, readIds, run, sleep } from "./lib.mjs";

// performance.now() counts from process start, so this is the cost of
// loading node, automerge's wasm and automerge-repo, reported apart.
const t0 = performance.now();

const opt = args({
  url: { required: true },
  ids: { required: true },
  storage: { required: true },
  "retry-unavailable": { type: "boolean", default: false },
});

const RETRY_BUDGET_MS = 60_000;
const ATTEMPT_MS = 2_000;

// 2.5.6 has no public "ask again": find() on a handle already marked
// unavailable rejects at once without contacting anyone. So each attempt
// restarts that document's sync with the connected peers through the
// synchronizer (a @hidden but public field) and waits for the handle.
async function askAgain(repo, id, deadline) {
  while (performance.now() < deadline) {
    const handle = repo.handles[id];
    if (handle?.isReady()) return handle;
    repo.synchronizer.docSynchronizers[id]?.beginSync(repo.peers);
    const wait = Math.min(ATTEMPT_MS, deadline - performance.now());
    await Promise.race([handle?.whenReady(["ready"]).catch(() => {}), sleep(wait)]);
  }
  return repo.handles[id]?.isReady() ? repo.handles[id] : undefined;
}

run(async () => {
  const ids = readIds(opt.ids);
  const { repo, storage } = makeRepo({
    storageDir: opt.storage,
    network: [new WebSocketClientAdapter(opt.url)],
  });
  // All requests in flight at once, as an app opening a workspace would.
  const first = await Promise.allSettled(ids.map(([, id]) => repo.find(id)));
  const handles = first.map(r => (r.status === "fulfilled" ? r.value : undefined));
  const unavailableFirst = handles.filter(h => !h).length;
  if (unavailableFirst) progress(`join.mjs: ${unavailableFirst} of ${ids.length} documents came back unavailable`);
  if (unavailableFirst && opt["retry-unavailable"]) {
    const deadline = performance.now() + RETRY_BUDGET_MS;
    for (let i = 0; i < ids.length; i++) {
      if (!handles[i]) handles[i] = await askAgain(repo, ids[i][1], deadline);
    }
  }
  // flush() without arguments throws on any handle that is not ready, so
  // name the ready ones; then wait for the background saves still writing.
  const ready = handles.filter(Boolean);
  await repo.flush(ready.map(h => h.documentId));
  await storage.settled();
  const ms = performance.now() - t0;
  const heads = {};
  ids.forEach(([name], i) => {
    if (handles[i]) heads[name] = A.getHeads(handles[i].doc());
  });
  // shutdown() re-flushes every handle and rejects on unavailable ones;
  // everything is already saved, so its outcome does not matter.
  await repo.shutdown().catch(() => {});
  await storage.settled();
  finish({
    ms,
    import_ms: t0,
    docs_ok: ready.length,
    unavailable_first: unavailableFirst,
    missing: ids.length - ready.length,
    heads,
  });
});
