// Two instances of the app on one machine, each with its own data directory: the second
// joins with the first's invite code, and edits in one window appear live in the other.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

let ada;
let ben;
before(async () => {
  [ada, ben] = await Promise.all([App.start("ada"), App.start("ben")]);
  await ada.chooseName("Ada");
  await ben.chooseName("Ben");
});
after(async () => {
  await Promise.all([ada?.stop(), ben?.stop()]);
});

test("a second person joins from a code and edits flow both ways, live", async () => {
  await ada.createGroup("Mutual aid network");
  await ada.createDoc("board", "Requests");
  await ada.addColumn("Open");

  // Ada invites; Ben pastes the code.
  const group = await ada.findWithText("group-link", "Mutual aid network");
  await group.click();
  await ada.click("invite-create");
  const codeElement = await ada.find("invite-code");
  const code = await ada.until("an invite code", async () =>
    String(await codeElement.getProperty("textContent")).trim(),
  );
  await ben.type("join-code", code);
  await ben.click("join-submit");
  // Before anything is saved, Ben sees who is in the group: Ada, its admin.
  await ben.findWithText("join-look-member", "Ada");
  if (process.env.SCREENSHOTS) await ben.screenshot(`${process.env.SCREENSHOTS}/join-look.png`);
  // He cancels first: nothing is joined, and Ada's window says that a device holding the
  // code looked at who is in the group and did not join.
  await ben.click("join-cancel");
  await ben.findWithText("join-status", "Not joined");
  await ada.findWithText("looked", "did not join");
  if (process.env.SCREENSHOTS) await ada.screenshot(`${process.env.SCREENSHOTS}/looked.png`);
  await ben.click("join-submit");
  await ben.findWithText("join-look-member", "Ada");
  await ben.click("join-confirm");
  // Once Ben's laptop is a member's, his looks are no cause for concern.
  await ada.until("the look's notice gone once Ben joined", async () =>
    (await ada.all("looked")).length === 0 ? true : null,
  );
  const joined = await ben.findWithText("group-link", "Mutual aid network");
  await joined.click();
  const board = await ben.findWithText("doc-link", "Requests");
  await board.click();
  await ben.column("Open");

  // Ada's card appears in Ben's window without him doing anything, and his in hers.
  const adaBoard = await ada.findWithText("doc-link", "Requests");
  await adaBoard.click();
  await ada.addCard("Open", "Groceries for Mrs Lee");
  await ben.findWithText("card", "Groceries for Mrs Lee", await ben.column("Open"));
  await ben.addCard("Open", "Lift to the clinic");
  await ada.findWithText("card", "Lift to the clinic", await ada.column("Open"));
});

test("both take positions on one proposal and each sees the other's, with the tally", async () => {
  const open = async (app, title) => {
    const group = await app.findWithText("group-link", "Mutual aid network");
    await group.click();
    const doc = await app.findWithText("doc-link", title);
    await doc.click();
  };
  await ada.findWithText("group-link", "Mutual aid network").then((g) => g.click());
  await ada.createDoc("assembly", "Weekly assembly");
  await ada.type("proposal-title", "Buy a second cargo bike");
  await ada.type("proposal-text", "From the solidarity fund.");
  await ada.click("proposal-submit");
  const adas = await ada.findWithText("proposal", "Buy a second cargo bike");
  await ada.type("position-reason", "Deliveries double in winter", adas);
  await ada.click("position-agree", adas);

  await open(ben, "Weekly assembly");
  const bens = await ben.findWithText("proposal", "Buy a second cargo bike");
  await ben.findWithText("position", "Ada", bens);
  await ben.type("position-reason", "Repair the first one first", bens);
  await ben.click("position-disagree", bens);

  // Ben's position reaches Ada's open window, and her tally counts both.
  const bensOnAda = await ada.findWithText("position", "Ben", adas);
  assert.match(await bensOnAda.getText(), /disagree/i);
  const tally = await ada.find("tally", adas);
  await ada.until("Ada's tally counting both", async () => {
    const text = await tally.getText();
    return /1 agree/.test(text) && /1 disagree/.test(text);
  });
});
