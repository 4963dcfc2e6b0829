// Two people at the same moment, each with the app open on their own data directory: they
// type into the same minutes at once and both keep their words; and what each screen says
// about the other is true after a join, an edit, a disconnect and a restart.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { App } from "./harness.js";

const GROUP = "Tenants of Elm Street";
let ada;
let ben;
before(async () => {
  [ada, ben] = await Promise.all([App.start("ada"), App.start("ben")]);
  await ada.chooseName("Ada");
  await ben.chooseName("Ben");
  await ada.createGroup(GROUP);
  await ada.createDoc("assembly", "December assembly");
  await ada.invite(ben, GROUP);
});
after(async () => {
  await Promise.all([ada?.stop(), ben?.stop()]);
});

test("two people typing into the same minutes at the same moment keep both their words", async () => {
  await ada.openDoc(GROUP, "December assembly");
  await ben.openDoc(GROUP, "December assembly");
  const [adas, bens] = await Promise.all([ada.find("minutes"), ben.find("minutes")]);
  // Both type before either has seen the other's words.
  await Promise.all([
    adas.addValue("Ada: the boiler is fixed. "),
    bens.addValue("Ben: the strike vote is on Friday. "),
  ]);
  for (const app of [ada, ben]) {
    await app.until("both lines in the minutes", async () => {
      const text = await (await app.find("minutes")).getValue();
      return text.includes("boiler is fixed") && text.includes("strike vote");
    });
  }
});

test("each screen says the truth about the other after a join, an edit, a disconnect and a restart", async () => {
  // 1. After the join and the typing, each sees the other online and in sync, and nothing
  //    is only on either laptop.
  for (const [app, other] of [
    [ada, "Ben"],
    [ben, "Ada"],
  ]) {
    const link = await app.findWithText("group-link", GROUP);
    await link.click();
    await app.until(`${other} online and in sync`, async () =>
      /online, in sync/.test(await app.memberSays(other)),
    );
    assert.equal((await app.all("only-here")).length, 0, `${app.name}: a warning with nothing unshared`);
  }

  // 2. Ben closes his laptop: Ada's screen says he is offline, and when he was last seen.
  await ben.stop({ keep: true });
  await ada.until("Ben offline", async () => /offline, last seen/.test(await ada.memberSays("Ben")));

  // 3. Ada puts a proposal: her screen says one change is only on her laptop, and that
  //    Ben's lacks it.
  await ada.openDoc(GROUP, "December assembly");
  await ada.type("proposal-title", "Repair the heating");
  await ada.click("proposal-submit");
  await ada.findWithText("proposal", "Repair the heating");
  await (await ada.findWithText("group-link", GROUP)).click();
  const warning = await ada.find("only-here");
  await ada.until("the count of unshared changes", async () =>
    /1 change is only on this laptop/.test(await warning.getText()),
  );
  assert.match(await ada.memberSays("Ben"), /missing 1 change/);

  // 4. Ada's app restarts: it still knows, from its store, before any connection.
  await ada.stop({ keep: true });
  ada = await App.start("ada-again", ada.dir);
  await (await ada.findWithText("group-link", GROUP)).click();
  const again = await ada.find("only-here");
  await ada.until("the count after a restart", async () =>
    /1 change is only on this laptop/.test(await again.getText()),
  );
  assert.match(await ada.memberSays("Ben"), /offline, last seen .*missing 1 change/);
});
