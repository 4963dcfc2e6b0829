// Closing the window. Nothing typed may be lost, and the person must know when what they
// did is still only on this laptop: no other member's device holds it yet, so it reaches
// the others only once Mutual runs again near one of them.
//
// The window's close request is held (preventDefault); every field being typed in saves
// what it holds (flushAllDrafts); then, if the node says some changes are only here, the
// person chooses between keeping Mutual open and closing anyway. Otherwise the window closes.
import { getCurrentWindow } from "@tauri-apps/api/window";
import { commands, type Status } from "../bindings";
import { call } from "./api";
import { flushAllDrafts } from "./draft";

/** Changes no other member's device is known to hold, over every group. */
export function unsharedChanges(status: Status | null): number {
  return status?.groups.reduce((n, g) => n + Math.max(0, g.unshared), 0) ?? 0;
}

/** What closing needs, passed in so that tests can stand in for each step. */
export type CloseSteps = {
  /** Saves what every field holds. */
  flush: () => Promise<void>;
  /** The node's status, or null when it cannot tell. */
  status: () => Promise<Status | null>;
  /** Warns that `unshared` changes are only here; true to close anyway. */
  confirm: (unshared: number) => Promise<boolean>;
  /** Closes the window for good. */
  close: () => Promise<void>;
};

/**
 * Closes the window, or not: saves first, then warns only when changes are only here.
 * True if it closed.
 */
export async function closeWindow(steps: CloseSteps): Promise<boolean> {
  await steps.flush();
  let unshared = 0;
  try {
    unshared = unsharedChanges(await steps.status());
  } catch {
    // The node cannot say (it stopped): there is nothing to warn about that it knows of.
  }
  if (unshared > 0 && !(await steps.confirm(unshared))) return false;
  await steps.close();
  return true;
}

/** At most this long waiting for the node (saving, its status): closing must not hang. */
export const CLOSE_WAIT_MS = 5000;

/** `work`'s result, or `fallback` once `ms` have passed. */
export function within<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/**
 * Holds this window's close requests for `closeWindow`, warning through `confirm`. Returns
 * the function that stops doing so.
 */
export function guardWindowClose(confirm: (unshared: number) => Promise<boolean>): () => void {
  const window = getCurrentWindow();
  let closing = false;
  const unlisten = window.onCloseRequested(async (event) => {
    event.preventDefault();
    // A second request while saving or asking: the first one decides.
    if (closing) return;
    closing = true;
    try {
      await closeWindow({
        flush: () => within(flushAllDrafts(), CLOSE_WAIT_MS, undefined),
        status: () => within(call(commands.status()), CLOSE_WAIT_MS, null),
        confirm,
        close: () => window.destroy(),
      });
    } catch (error) {
      console.error("Mutual could not close its window:", error);
    } finally {
      closing = false;
    }
  });
  return () => {
    void unlisten.then((stop) => stop()).catch(() => {});
  };
}
