// The node's events, fanned out to whichever screens are open. One Tauri listener serves
// them all; a screen subscribes while it is mounted and reloads what an event names.
import { events, type NodeEvent } from "../bindings";

type Listener = (event: NodeEvent) => void;

const listeners = new Set<Listener>();
let unlisten: Promise<() => void> | null = null;

function start(): void {
  if (unlisten) return;
  unlisten = events.nodeEvent.listen((e) => {
    for (const listener of [...listeners]) listener(e.payload);
  });
  // Without a Tauri backend (a plain browser) there are no events to hear; the UI still works.
  unlisten.catch(() => {
    unlisten = null;
  });
}

/** Calls `listener` on every node event until the returned function is called. */
export function onNodeEvent(listener: Listener): () => void {
  listeners.add(listener);
  start();
  return () => {
    listeners.delete(listener);
  };
}

/** Stops listening altogether (tests, between two fake backends). */
export async function stopNodeEvents(): Promise<void> {
  listeners.clear();
  const pending = unlisten;
  unlisten = null;
  if (pending) (await pending.catch(() => () => {}))();
}
