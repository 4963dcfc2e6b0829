// startup: time from process start until one document is ready from a
// store that holds many (made by seed.mjs): node + wasm + automerge-repo
// boot plus one load. Result: {"ready_ms"} (performance.now() counts from
// process start).
import { args, finish, makeRepo, readIds, run } from "./lib.mjs";

const opt = args({
  storage: { required: true },
  ids: { required: true },
});

run(async () => {
  const [[, id]] = readIds(opt.ids);
  const { repo } = makeRepo({ storageDir: opt.storage });
  await repo.find(id);
  finish({ ready_ms: performance.now() });
});
