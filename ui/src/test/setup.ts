// Every test starts without a fake backend; each installs its own with mockIPC.
import { afterEach } from "vitest";
import { clearMocks } from "@tauri-apps/api/mocks";
import { cleanup } from "@testing-library/svelte";
import { stopNodeEvents } from "../lib/events";

afterEach(async () => {
  await stopNodeEvents();
  cleanup();
  clearMocks();
});
