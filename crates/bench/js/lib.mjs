// Shared helpers for the automerge-repo side of the benchmark.
// The Rust harness spawns each script and reads ONE JSON object from the
// last line of stdout, so everything here guards that channel.
import { parseArgs } from "node:util";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import * as A from "@automerge/automerge";
import { Repo } from "@automerge/automerge-repo";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";

export { A, Repo, sleep };

// automerge-repo reports some internal errors with console.log; keep them off
// stdout so they can never follow (or corrupt) the result line.
console.log = (...args) => console.error(...args);

/** Prints one sentence to stderr and exits with `code` (1 = failure, 2 = usage). */
export function fail(message, code = 1) {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

// A background rejection inside automerge-repo would otherwise print a stack
// and exit 1 anyway; this keeps it to the "one sentence" contract.
process.on("unhandledRejection", err => fail(`unhandled rejection: ${err?.message ?? err}`));
process.on("uncaughtException", err => fail(`uncaught exception: ${err?.message ?? err}`));

/**
 * parseArgs wrapper: every flag is `--name value` (or a bare boolean flag).
 * `spec` maps name -> { type, required?, default? }. Usage errors exit 2.
 */
export function args(spec, { positionals = false } = {}) {
  const options = {};
  for (const [name, o] of Object.entries(spec)) options[name] = { type: o.type ?? "string" };
  let parsed;
  try {
    parsed = parseArgs({ options, strict: true, allowPositionals: positionals });
  } catch (err) {
    fail(`${path.basename(process.argv[1])}: ${err.message.replace(/\.?$/, ".")}`, 2);
  }
  const values = { ...parsed.values };
  for (const [name, o] of Object.entries(spec)) {
    if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
    if (values[name] === undefined && o.required) {
      fail(`${path.basename(process.argv[1])}: missing required flag --${name}.`, 2);
    }
    if (o.int && values[name] !== undefined) {
      const n = Number(values[name]);
      if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got "${values[name]}".`, 2);
      values[name] = n;
    }
  }
  return positionals ? { values, positionals: parsed.positionals } : values;
}

/** Writes the result line and exits 0; the last stdout line is the contract. */
export function finish(result) {
  // Exit only once the line is handed over: a result larger than the pipe's
  // buffer (the heads of 1,000 documents) was cut short by an immediate exit.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

/** Runs an async main; any thrown error becomes one stderr sentence and exit 1. */
export function run(main) {
  main().catch(err => fail(`${path.basename(process.argv[1])} failed: ${err?.message ?? err}`));
}

export const progress = msg => process.stderr.write(`${msg}\n`);

/**
 * NodeFSStorageAdapter with a count of writes in flight.
 *
 * Why: repo.flush() writes each doc itself but does not wait for the
 * throttled background save that may be writing the same doc at that moment
 * (nor for sync-state saves). Exiting then can cut a file short. Scripts
 * that must leave a complete store behind await `settled()` after flush; the
 * durability scripts deliberately do not, to measure what a developer gets.
 */
export class TrackedStorage {
  #inner;
  #pending = new Set();
  constructor(dir) {
    this.#inner = new NodeFSStorageAdapter(dir);
  }
  #track(p) {
    this.#pending.add(p);
    p.finally(() => this.#pending.delete(p)).catch(() => {});
    return p;
  }
  load(key) { return this.#inner.load(key); }
  loadRange(prefix) { return this.#inner.loadRange(prefix); }
  save(key, data) { return this.#track(this.#inner.save(key, data)); }
  remove(key) { return this.#track(this.#inner.remove(key)); }
  removeRange(prefix) { return this.#track(this.#inner.removeRange(prefix)); }
  /** Resolves once no write is in flight (new writes started meanwhile are awaited too). */
  async settled() {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }
}

/** A repo with optional NodeFS storage in `dir`; extra RepoConfig fields pass through. */
export function makeRepo({ storageDir, tracked = true, ...config } = {}) {
  let storage;
  if (storageDir) storage = tracked ? new TrackedStorage(storageDir) : new NodeFSStorageAdapter(storageDir);
  const repo = new Repo({ storage, ...config });
  return { repo, storage };
}

/** Reads IDS.json written by seed.mjs: [[name, documentId], ...] in file order. */
export function readIds(file) {
  const ids = JSON.parse(fs.readFileSync(file, "utf8"));
  return Object.entries(ids);
}

/** The one edit the edit scripts make: append word `w<i> ` to doc.text, one change. */
export function appendWord(handle, i) {
  const word = `w${i} `;
  handle.change(d => {
    A.splice(d, ["text"], d.text.length, 0, word);
  });
  return word;
}

/** Numbers of the `w<i>` words in a text, in order. */
export function wordNumbers(text) {
  return [...String(text ?? "").matchAll(/\bw(\d+)\b/g)].map(m => Number(m[1]));
}

/** Total size in bytes and count of regular files under dir (recursive). */
export function dirStats(dir) {
  let bytes = 0;
  let files = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    bytes += fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size;
    files += 1;
  }
  return { bytes, files };
}

/** Rejects with `what` after ms; for the hang guards. The timer does not keep the process alive. */
export function timeout(ms, what) {
  return new Promise((_, reject) => {
    setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms).unref();
  });
}
