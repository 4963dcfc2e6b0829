// durable: does what automerge-repo acknowledged survive a crash?
//   write      --storage S --doc-out ID.txt  edit + flush + "ack i" forever
//                                            (the harness kill -9s it)
//   check      --storage S --doc ID          reload from disk only; result
//              {"loaded", "error", "words", "last", "contiguous"}
//   quick-exit --storage S --edits N         N edits, shutdown, exit at once;
//              result {"doc": id}, then the harness runs check
// Words are "w1 w2 ..."; "last" is the highest number present (0 if none).
// No TrackedStorage waiting here on purpose: the point is what flush() and
// shutdown() alone guarantee.
import fs from "node:fs";
import path from "node:path";
import { appendWord, args, fail, finish, makeRepo, run, timeout, wordNumbers } from "./lib.mjs";

const MODES = {
  write: { storage: { required: true }, "doc-out": { required: true } },
  check: { storage: { required: true }, doc: { required: true } },
  "quick-exit": { storage: { required: true }, edits: { required: true, int: true } },
};
const mode = process.argv[2];
if (!MODES[mode]) fail(`durable.mjs: first argument must be one of ${Object.keys(MODES).join(", ")}.`, 2);
process.argv.splice(2, 1); // parseArgs then sees only this mode's flags
const opt = args(MODES[mode]);

const LOAD_LIMIT_MS = 10_000;

async function write() {
  const { repo } = makeRepo({ storageDir: opt.storage, tracked: false });
  const handle = repo.create({ text: "" });
  // The id must be on disk before any ack, or the harness could not check.
  const fd = fs.openSync(opt["doc-out"], "w");
  fs.writeSync(fd, `${handle.documentId}\n`);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  for (let i = 1; ; i++) {
    appendWord(handle, i);
    await repo.flush();
    process.stdout.write(`ack ${i}\n`);
  }
}

async function check() {
  const { repo } = makeRepo({ storageDir: opt.storage, tracked: false });
  try {
    // No network: find() either loads from storage, or reports unavailable
    // (nothing on disk), or fails (the stored bytes do not load).
    const handle = await Promise.race([
      repo.find(opt.doc.trim(), { signal: AbortSignal.timeout(LOAD_LIMIT_MS) }),
      timeout(LOAD_LIMIT_MS, "loading the document"),
    ]);
    const nums = wordNumbers(handle.doc().text);
    finish({
      loaded: true,
      error: null,
      words: nums.length,
      last: nums.length ? Math.max(...nums) : 0,
      contiguous: nums.every((n, i) => n === i + 1),
    });
  } catch (err) {
    finish({ loaded: false, error: String(err?.message ?? err), words: 0, last: 0, contiguous: false });
  }
}

async function quickExit() {
  const { repo } = makeRepo({ storageDir: opt.storage, tracked: false });
  const handle = repo.create({ text: "" });
  for (let i = 1; i <= opt.edits; i++) appendWord(handle, i);
  // What a developer naturally writes at the end of a CLI tool.
  await repo.shutdown();
  finish({ doc: handle.documentId });
}

run({ write, check, "quick-exit": quickExit }[mode]);
