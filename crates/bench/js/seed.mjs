// seed: load Mutual-generated Automerge binaries into an automerge-repo store,
// so the sync server (serve.mjs) has the same documents Mutual serves.
// Result: {"docs": n, "ms": import+flush time}.
import fs from "node:fs";
import path from "node:path";
import { args, finish, makeRepo, run } from "./lib.mjs";

const opt = args({
  docs: { required: true },
  storage: { required: true },
  out: { required: true },
});

run(async () => {
  const names = fs.readdirSync(opt.docs).filter(f => f.endsWith(".automerge")).sort();
  const binaries = names.map(f => fs.readFileSync(path.join(opt.docs, f)));
  // Reading the inputs is not automerge-repo's work; start the clock after it.
  const t0 = performance.now();
  // No network: this is a local import. The long save debounce leaves
  // flush() as the only writer, so no background save races the exit.
  const { repo, storage } = makeRepo({ storageDir: opt.storage, saveDebounceRate: 86_400_000 });
  const ids = {};
  names.forEach((f, i) => {
    ids[f.slice(0, -".automerge".length)] = repo.import(binaries[i]).documentId;
  });
  await repo.flush();
  await storage.settled();
  const ms = performance.now() - t0;
  fs.writeFileSync(opt.out, JSON.stringify(ids, null, 1));
  finish({ docs: names.length, ms });
});
