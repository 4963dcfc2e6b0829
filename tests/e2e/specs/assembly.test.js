// An assembly: a proposal decided by consent, a position with a reason, the live tally.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

let app;
before(async () => {
  app = await App.start("assembly");
  await app.chooseName("Ada");
  await app.createGroup("Strike committee");
});
after(async () => {
  await app?.stop();
});

test("a proposal gets a position and the tally shows it", async () => {
  await app.createDoc("assembly", "December assembly");
  await app.type("proposal-title", "Start the strike on Monday");
  await app.type("proposal-text", "Pickets at both gates from 6 am.");
  const rule = await app.find("proposal-rule");
  await rule.selectByAttribute("value", "consent");
  await app.click("proposal-submit");
  const proposal = await app.findWithText("proposal", "Start the strike on Monday");

  await app.type("position-reason", "We are ready", proposal);
  await app.click("position-agree", proposal);
  const position = await app.findWithText("position", "Ada", proposal);
  assert.match(await position.getText(), /agree/i);
  assert.match(await position.getText(), /We are ready/);
  const tally = await app.find("tally", proposal);
  await app.until("the tally counting one agree", async () => /1/.test(await tally.getText()));
  const outcome = await app.find("outcome", proposal);
  assert.ok((await outcome.getText()).length > 0);
  if (process.env.SCREENSHOTS) await app.screenshot(`${process.env.SCREENSHOTS}/assembly.png`);
});
