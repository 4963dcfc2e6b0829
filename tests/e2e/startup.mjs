// App start-up, for the benchmarks (crates/bench): the time from launching the Mutual app
// over a data directory until its window is usable, i.e. the sidebar lists the group and
// can be clicked. Seen through WebDriver, the only way to watch the window from outside:
// tauri-driver is started first (not timed); the clock starts when the session is asked
// for (WebKitWebDriver then launches the app) and stops when the group's link is
// clickable. WebDriver's own start is inside the figure, so it is an upper bound.
//
//   node startup.mjs --app BIN --dir DATA_DIR [--runs N]
//
// Prints {"ms": [one figure per run]} on stdout. Needs an X display (xvfb-run).

import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { remote } from "webdriverio";

const { values: opt } = parseArgs({
  options: {
    app: { type: "string" },
    dir: { type: "string" },
    runs: { type: "string", default: "5" },
  },
});
if (!opt.app || !opt.dir) {
  console.error("usage: node startup.mjs --app BIN --dir DATA_DIR [--runs N]");
  process.exit(2);
}

const PATIENCE = 60_000;
const PORT = 4544;

async function waitForServer(url) {
  const deadline = Date.now() + PATIENCE;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${url} never answered`);
}

/** One launch: milliseconds from asking for the session to a clickable group link. */
async function once() {
  // Its own process group, so that killing it stops WebKitWebDriver and the app as well.
  const driver = spawn("tauri-driver", ["--port", String(PORT), "--native-port", String(PORT + 1)], {
    env: { ...process.env, MUTUAL_DIR: opt.dir },
    stdio: "ignore",
    detached: true,
  });
  try {
    await waitForServer(`http://127.0.0.1:${PORT}/status`);
    const started = performance.now();
    const browser = await remote({
      hostname: "127.0.0.1",
      port: PORT,
      logLevel: "error",
      connectionRetryTimeout: PATIENCE,
      capabilities: { "tauri:options": { application: opt.app } },
    });
    const link = await browser.$('[data-testid="group-link"]');
    await link.waitForClickable({ timeout: PATIENCE, interval: 10 });
    const ms = performance.now() - started;
    await browser.deleteSession().catch(() => {});
    return ms;
  } finally {
    try {
      process.kill(-driver.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    // The next run's driver needs the ports back.
    await sleep(300);
  }
}

const ms = [];
for (let i = 0; i < Number(opt.runs); i++) {
  ms.push(await once());
  console.error(`   app start-up run ${i + 1}: ${ms.at(-1).toFixed(0)} ms`);
}
console.log(JSON.stringify({ ms }));
