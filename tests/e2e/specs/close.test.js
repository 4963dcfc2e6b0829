// Closing the window right after typing keeps the text, and says when changes are on this
// laptop only.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

const GROUP = "Food co-op";
let app;
before(async () => {
  app = await App.start("closing");
  await app.chooseName("Ada");
  await app.createGroup(GROUP);
  await app.createDoc("assembly", "Weekly assembly");
});
after(async () => {
  await app?.stop();
});

test("text typed just before the window closes is kept, after a warning about this laptop", async () => {
  // 1. Ada types and closes the window at once, before the draft's usual pause.
  const minutes = await app.find("minutes");
  await minutes.addValue("Typed just before closing.");
  await app.requestClose();

  // 2. Nobody else holds her changes: the app says so before it closes.
  const warning = await app.find("close-warning");
  assert.match(await warning.getText(), /only on this laptop/);
  await app.clickToClose("close-anyway");

  // 3. Opened again, the minutes hold what she typed.
  await app.stop({ keep: true });
  app = await App.start("closing-again", app.dir);
  await app.openDoc(GROUP, "Weekly assembly");
  await app.until("the typed text", async () =>
    (await (await app.find("minutes")).getValue()).includes("Typed just before closing."),
  );
});
