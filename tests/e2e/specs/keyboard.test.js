// The main flow with the keyboard alone: no click, no pointer. Focus moves with Tab; fields
// are typed into; buttons are pressed with Enter.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

let app;
before(async () => {
  app = await App.start("keyboard");
});
after(async () => {
  await app?.stop();
});

test("a person without a mouse starts, creates a group and an assembly, and takes a position", async () => {
  await app.typeAndEnter("name-input", "Ada");
  await app.typeAndEnter("create-group-name", "Night shelter volunteers");
  await app.findWithText("group-name", "Night shelter volunteers");

  // A new document of the default kind (an assembly), opened from the list with Enter.
  await app.typeAndEnter("new-doc-title", "Rota meeting");
  await app.findWithText("doc-link", "Rota meeting");
  await app.tabTo("doc-link");
  await app.browser.keys("Enter");

  await app.tabTo("proposal-title");
  await (await app.find("proposal-title")).addValue("Two volunteers every night");
  await app.tabTo("proposal-submit");
  await app.browser.keys("Enter");
  const proposal = await app.findWithText("proposal", "Two volunteers every night");
  await app.typeAndEnter("position-reason", "Safer for everyone", proposal);
  await app.tabTo("position-agree", proposal);
  await app.browser.keys("Enter");
  const position = await app.findWithText("position", "Ada", proposal);
  assert.match(await position.getText(), /agree/i);
});
