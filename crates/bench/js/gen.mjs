// Test-data generator for selftest: N docs x C changes as Automerge.save()
// files, standing in for the documents Mutual generates for a real run.
import fs from "node:fs";
import path from "node:path";
import * as A from "@automerge/automerge";

export function generateDocs(dir, { docs = 5, changes = 20 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const heads = {};
  for (let n = 0; n < docs; n++) {
    let d = A.from({ title: `doc ${n}`, text: "", tags: [] });
    for (let c = 0; c < changes; c++) {
      d = A.change(d, x => {
        A.splice(x, ["text"], x.text.length, 0, `line ${c} of doc ${n}\n`);
        if (c % 5 === 0) x.tags.push(`t${c}`);
      });
    }
    const name = `doc${String(n).padStart(4, "0")}`;
    fs.writeFileSync(path.join(dir, `${name}.automerge`), A.save(d));
    heads[name] = A.getHeads(d);
  }
  return heads;
}

// `node gen.mjs DIR DOCS CHANGES` for trying things by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, docs, changes] = process.argv.slice(2);
  generateDocs(dir, { docs: Number(docs ?? 5), changes: Number(changes ?? 20) });
}
