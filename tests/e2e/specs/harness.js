// The real Mutual app, driven as a person would: each `App` is one instance with its own
// data directory, launched by its own tauri-driver (which starts WebKitWebDriver), on the
// X display the test command provides (xvfb-run). Elements are found by `data-testid`.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { remote } from "webdriverio";

const ROOT = resolve(import.meta.dirname, "../../..");
/** The debug build of the app (`tauri build --debug --no-bundle`). */
export const APPLICATION = process.env.MUTUAL_APP ?? join(ROOT, "target/debug/mutual-app");
/** Generous: CI has two cores. Never a timing assertion, only "it happened at all". */
export const PATIENCE = 60_000;

let nextPort = 4444;

/** Waits until `url` answers, or throws after `ms`. */
async function waitForServer(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} never answered`);
}

export class App {
  /** Starts an instance of the app over a fresh data directory, or over `dir` (a restart). */
  static async start(name, dir = mkdtempSync(join(tmpdir(), `mutual-e2e-${name}-`))) {
    const port = nextPort;
    nextPort += 2;
    // Its own process group, so that stopping it stops WebKitWebDriver and the app too, even
    // when the WebDriver session cannot close the app; no pipes, which a surviving app would
    // keep open and, with them, this test process.
    const driver = spawn(
      "tauri-driver",
      ["--port", String(port), "--native-port", String(port + 1)],
      { env: { ...process.env, MUTUAL_DIR: dir }, stdio: "ignore", detached: true },
    );
    await waitForServer(`http://127.0.0.1:${port}/status`, PATIENCE);
    const browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "error",
      connectionRetryTimeout: PATIENCE,
      capabilities: { "tauri:options": { application: APPLICATION } },
    });
    return new App(name, dir, driver, browser);
  }

  constructor(name, dir, driver, browser) {
    this.name = name;
    this.dir = dir;
    this.driver = driver;
    this.browser = browser;
  }

  /** The element with this test id (the first, or the one `within` contains). */
  async find(testId, within) {
    const root = within ?? this.browser;
    const element = await root.$(`[data-testid="${testId}"]`);
    await element.waitForExist({ timeout: PATIENCE, timeoutMsg: `${this.name}: no ${testId}` });
    return element;
  }

  /** Every element with this test id now. */
  async all(testId, within) {
    const root = within ?? this.browser;
    return root.$$(`[data-testid="${testId}"]`);
  }

  /** The texts of every element with this test id now. */
  async texts(testId, within) {
    const texts = [];
    for (const element of await this.all(testId, within)) texts.push(await element.getText());
    return texts;
  }

  async click(testId, within) {
    const element = await this.find(testId, within);
    await element.waitForClickable({ timeout: PATIENCE });
    await element.click();
  }

  async type(testId, text, within) {
    const element = await this.find(testId, within);
    await element.setValue(text);
  }

  /** Waits until `check` returns something truthy; returns it. */
  async until(what, check) {
    let last;
    await this.browser.waitUntil(
      async () => {
        last = await check();
        return Boolean(last);
      },
      { timeout: PATIENCE, interval: 200, timeoutMsg: `${this.name}: ${what} never happened` },
    );
    return last;
  }

  /** Waits for an element with this test id whose text contains `text`. */
  async findWithText(testId, text, within) {
    return this.until(`a ${testId} saying “${text}”`, async () => {
      for (const element of await this.all(testId, within)) {
        if ((await element.getText()).includes(text)) return element;
      }
      return null;
    });
  }

  /** The first run: choose a name. */
  async chooseName(name) {
    await this.type("name-input", name);
    await this.click("name-submit");
    await this.find("create-group-name");
  }

  /** Creates a group and opens it. */
  async createGroup(name) {
    await this.type("create-group-name", name);
    await this.click("create-group-submit");
    const link = await this.findWithText("group-link", name);
    await link.click();
    await this.findWithText("group-name", name);
  }

  /** Creates a document of `kind` in the open group and opens it. */
  async createDoc(kind, title) {
    const select = await this.find("new-doc-kind");
    await select.selectByAttribute("value", kind);
    await this.type("new-doc-title", title);
    await this.click("new-doc-submit");
    const link = await this.findWithText("doc-link", title);
    await link.click();
  }

  /** Opens the group named `group`, then its document titled `title`. */
  async openDoc(group, title) {
    const link = await this.findWithText("group-link", group);
    await link.click();
    const doc = await this.findWithText("doc-link", title);
    await doc.click();
  }

  /**
   * Invites `other` into the open group `group` with a full code, and waits until the group
   * is listed in `other`'s window.
   */
  async invite(other, group) {
    const link = await this.findWithText("group-link", group);
    await link.click();
    await this.click("invite-create");
    const codeElement = await this.find("invite-code");
    const code = await this.until("an invite code", async () =>
      String(await codeElement.getProperty("textContent")).trim(),
    );
    await other.type("join-code", code);
    await other.click("join-submit");
    // The look shows who is in the group; nothing is joined until it is confirmed.
    await other.findWithText("join-look-group", group);
    await other.click("join-confirm");
    await other.findWithText("group-link", group);
  }

  /** The text of the member entry naming `name` on the open group's home. */
  async memberSays(name) {
    const entry = await this.findWithText("member", name);
    return entry.getText();
  }

  /** The column with this name, on the open board. */
  async column(name) {
    const column = await this.browser.$(`[data-testid="column"][data-column-name="${name}"]`);
    await column.waitForExist({ timeout: PATIENCE, timeoutMsg: `${this.name}: no column ${name}` });
    return column;
  }

  async addColumn(name) {
    await this.type("add-column-name", name);
    await this.click("add-column-submit");
    return this.column(name);
  }

  async addCard(columnName, title) {
    const column = await this.column(columnName);
    await this.type("add-card-title", title, column);
    await this.click("add-card-submit", column);
    return this.findWithText("card", title, column);
  }

  /**
   * Presses Tab until the element with this test id (inside `within`, if given) has the
   * focus, as someone without a mouse would; fails after 80 presses.
   */
  async tabTo(testId, within) {
    for (let presses = 0; presses < 80; presses++) {
      const focused = await this.browser.execute(
        (id, scope) => {
          const active = document.activeElement;
          return active?.dataset?.testid === id && (!scope || scope.contains(active));
        },
        testId,
        within ?? null,
      );
      if (focused) return;
      await this.browser.keys("Tab");
    }
    throw new Error(`${this.name}: Tab never reached ${testId}`);
  }

  /** Tabs to a field, types `text` and presses Enter. */
  async typeAndEnter(testId, text, within) {
    await this.tabTo(testId, within);
    // Typed into the focused field as key presses. (`browser.keys` with a whole string
    // loses the second of two equal letters in WebKitWebDriver; element key input does not.)
    await (await this.find(testId, within)).addValue(text);
    await this.browser.keys("Enter");
  }

  /**
   * Drags `source` onto `target` as a mouse would. WebKitWebDriver's pointer actions move the
   * pointer but never start an HTML5 drag, so the page gets the drag events a drag would
   * fire (dragstart, dragenter, dragover, drop, dragend) with one shared DataTransfer: the
   * app's own drag and drop code runs in the real WebKit.
   */
  async drag(source, target) {
    await this.browser.execute(
      (from, to) => {
        const dataTransfer = new DataTransfer();
        const fire = (element, type) =>
          element.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer }));
        fire(from, "dragstart");
        fire(to, "dragenter");
        fire(to, "dragover");
        fire(to, "drop");
        fire(from, "dragend");
      },
      source,
      target,
    );
  }

  /** Saves a screenshot (for the README) to `path`. */
  async screenshot(path) {
    await this.browser.saveScreenshot(path);
  }

  /** Stops the instance and removes its data directory (kept with `{ keep: true }`). */
  async stop({ keep = false } = {}) {
    try {
      await this.browser.deleteSession();
    } catch {
      // The app may be gone already; the driver is stopped either way.
    }
    try {
      process.kill(-this.driver.pid, "SIGKILL");
    } catch {
      // The group is gone already.
    }
    // The app may take a moment to die: its data directory's lock goes with it.
    await sleep(500);
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Clicks a button that closes the window: WebDriver's session may end with the click. */
  async clickToClose(testId) {
    const element = await this.find(testId);
    await element.waitForClickable({ timeout: PATIENCE });
    try {
      await element.click();
    } catch (error) {
      if (!/invalid session id/.test(String(error))) throw error;
    }
  }

  /** Closes the window as a person does (the window manager's close request). */
  async requestClose() {
    await this.browser.execute(() =>
      window.__TAURI_INTERNALS__.invoke("plugin:window|close", { label: "main" }),
    );
  }
}
