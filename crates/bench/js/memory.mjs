// memory: resident memory of an automerge-repo process holding K documents
// open from an existing store (made by seed.mjs).
// Result: {"rss_bytes", "heap_used", "open"}. Run with --expose-gc so the
// number is live memory rather than garbage awaiting collection.
import { args, fail, finish, makeRepo, readIds, run, sleep } from "./lib.mjs";

const opt = args({
  storage: { required: true },
  ids: { required: true },
  open: { required: true, int: true },
});

run(async () => {
  const ids = readIds(opt.ids).slice(0, opt.open);
  if (ids.length < opt.open) fail(`memory.mjs: --open ${opt.open} but ${opt.ids} lists only ${ids.length} documents.`);
  const { repo } = makeRepo({ storageDir: opt.storage });
  // Held in an array so nothing is collectable before measuring.
  const handles = await Promise.all(ids.map(([, id]) => repo.find(id)));
  if (typeof global.gc === "function") global.gc();
  await sleep(200);
  const mem = process.memoryUsage();
  finish({ rss_bytes: mem.rss, heap_used: mem.heapUsed, open: handles.length });
});
