// First run: a person chooses a name, creates a group, and sees it with themselves in it.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

let app;
before(async () => {
  app = await App.start("first-run");
});
after(async () => {
  await app?.stop();
});

test("a new person chooses a name and creates a group", async () => {
  await app.chooseName("Ada");
  await app.createGroup("Tenants of Elm Street");
  const me = await app.findWithText("member", "Ada");
  assert.match(await me.getText(), /admin/i);
  if (process.env.SCREENSHOTS) await app.screenshot(`${process.env.SCREENSHOTS}/group-home.png`);
});
