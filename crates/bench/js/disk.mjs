// disk: what N one-word edits cost on disk with automerge-repo's NodeFS
// storage, against the size of a plain Automerge.save() of the same doc.
// Result: {"changes", "storage_bytes", "saved_bytes", "files"}.
import { A, appendWord, args, dirStats, finish, makeRepo, run } from "./lib.mjs";

const opt = args({
  changes: { required: true, int: true },
  storage: { required: true },
});

run(async () => {
  const { repo, storage } = makeRepo({ storageDir: opt.storage });
  const handle = repo.create({ text: "" });
  // Back to back, as an editor session's keystrokes would arrive; the repo's
  // own save throttle decides how they are batched on disk.
  for (let i = 0; i < opt.changes; i++) appendWord(handle, i);
  await repo.flush();
  await repo.shutdown();
  // Count only once every write (including background saves) has landed.
  await storage.settled();
  const { bytes, files } = dirStats(opt.storage);
  finish({
    changes: opt.changes,
    storage_bytes: bytes,
    saved_bytes: A.save(handle.doc()).length,
    files,
  });
});
