// A board: columns and cards, one card moved with the keyboard alone, one with the mouse.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

let app;
before(async () => {
  app = await App.start("board");
  await app.chooseName("Ada");
  await app.createGroup("Food co-op");
});
after(async () => {
  await app?.stop();
});

test("columns and cards are added, and cards move with the keyboard and the mouse", async () => {
  await app.createDoc("board", "Deliveries");
  await app.addColumn("To do");
  const done = await app.addColumn("Done");
  const card = await app.addCard("To do", "Pick up vegetables");
  await app.addCard("To do", "Call the bakery");

  // Pick the card up, move it one column right, drop it.
  await card.click();
  await app.browser.keys(" ");
  await app.browser.keys("ArrowRight");
  await app.browser.keys(" ");
  await app.findWithText("card", "Pick up vegetables", done);
  const titles = await app.texts("card", await app.column("To do"));
  assert.ok(!titles.some((t) => t.includes("Pick up vegetables")), `still in To do: ${titles}`);

  // The other card, dragged with the mouse onto Done.
  const other = await app.findWithText("card", "Call the bakery", await app.column("To do"));
  await app.drag(other, done);
  await app.findWithText("card", "Call the bakery", done);
  assert.deepEqual(await app.texts("card", await app.column("To do")), []);
  if (process.env.SCREENSHOTS) await app.screenshot(`${process.env.SCREENSHOTS}/board.png`);
});
