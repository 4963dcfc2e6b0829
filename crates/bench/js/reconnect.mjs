// reconnect: a peer that already holds every document (from an earlier
// join.mjs on the same storage) comes back online and catches up with the
// sync server. Result like join.mjs: {"ms", "local_ms", "import_ms",
// "docs_ok", "unavailable_first", "missing", "heads"}.
//
// When is a document "synced"? automerge-repo 2.5.6 has no whenSynced().
// What it does expose: each time a sync message from a peer carries heads
// that differ from the last ones seen, the handle records them
// (handle.getSyncInfo(storageId).lastHeads) and emits "remote-heads". The
// server always answers our first sync message for a document with its
// heads, so a document counts as synced once the server's last reported heads
// equal our own heads: the server has told us its state and we have all of
// it (if it had more, the changes would arrive and our heads would move;
// we re-check on every "heads-changed" too). This needs the server to have a
// storage id, which any server with storage (serve.mjs) has.
import { setMaxListeners } from "node:events";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { A, args, finish, makeRepo, progress, readIds, run, timeout } from "./lib.mjs";

const t0 = performance.now();

const opt = args({
  url: { required: true },
  ids: { required: true },
  storage: { required: true },
});

const SYNC_BUDGET_MS = 60_000;

const sameHeads = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** Resolves true once the server's reported heads equal ours, false on abort. */
function whenSynced(repo, handle, signal) {
  return new Promise(resolve => {
    const serverHeads = () =>
      repo.peers.map(p => repo.getStorageIdOfPeer(p)).filter(Boolean).map(s => handle.getSyncInfo(s)?.lastHeads);
    const check = () => {
      if (!serverHeads().some(h => h && sameHeads(h, handle.heads()))) return;
      done(true);
    };
    const done = ok => {
      handle.off("remote-heads", check);
      handle.off("heads-changed", check);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    handle.on("remote-heads", check);
    handle.on("heads-changed", check);
    signal.addEventListener("abort", onAbort);
    check();
  });
}

run(async () => {
  const ids = readIds(opt.ids);
  const { repo, storage } = makeRepo({
    storageDir: opt.storage,
    network: [new WebSocketClientAdapter(opt.url)],
  });
  const first = await Promise.allSettled(ids.map(([, id]) => repo.find(id)));
  const localMs = performance.now() - t0;
  const handles = first.map(r => (r.status === "fulfilled" ? r.value : undefined));
  const unavailableFirst = handles.filter(h => !h).length;
  if (unavailableFirst) progress(`reconnect.mjs: ${unavailableFirst} documents not found locally`);

  const signal = AbortSignal.timeout(SYNC_BUDGET_MS);
  setMaxListeners(0, signal); // one listener per document is intended
  const synced = await Promise.all(handles.map(h => (h ? whenSynced(repo, h, signal) : false)));
  const ms = performance.now() - t0;
  const ok = synced.filter(Boolean).length;
  if (ok < ids.length) progress(`reconnect.mjs: ${ids.length - ok} documents not confirmed in sync with the server`);

  const heads = {};
  ids.forEach(([name], i) => {
    if (handles[i]) heads[name] = A.getHeads(handles[i].doc());
  });
  // Persist whatever the catch-up brought, then leave cleanly.
  await Promise.race([
    (async () => {
      await repo.flush(handles.filter(Boolean).map(h => h.documentId));
      await repo.shutdown().catch(() => {});
      await storage.settled();
    })(),
    timeout(30_000, "flush"),
  ]);
  finish({
    ms,
    local_ms: localMs,
    import_ms: t0,
    docs_ok: ok,
    unavailable_first: unavailableFirst,
    missing: ids.length - ok,
    heads,
  });
});
