// The running timer of the current agenda item. The document says which item is current,
// not since when, so each device starts counting when it first sees the item current and
// keeps that moment across reloads in localStorage.

const PREFIX = "mutual.agenda.current.";

/** What a time box looks like after `elapsedSeconds`. */
export function timeBox(elapsedSeconds: number, minutes: number | null): { remaining: number | null; over: boolean } {
  if (minutes === null) return { remaining: null, over: false };
  const remaining = minutes * 60 - elapsedSeconds;
  return { remaining, over: remaining < 0 };
}

type Store = Pick<Storage, "getItem" | "setItem" | "removeItem">;

function store(): Store | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * Since when (unix ms) `item` of `doc` is current, as first seen here; recorded now if it
 * was not. Items no longer current are forgotten, so they start afresh if current again.
 */
export function currentSince(doc: string, item: string, nowMs: number, storage: Store | null = store()): number {
  const key = `${PREFIX}${doc}`;
  const saved = storage?.getItem(key);
  if (saved) {
    const [savedItem, since] = saved.split(" ");
    if (savedItem === item && since && Number.isFinite(+since)) return +since;
  }
  storage?.setItem(key, `${item} ${nowMs}`);
  return nowMs;
}

/** Forgets the current item of `doc` (none is current). */
export function noneCurrent(doc: string, storage: Store | null = store()): void {
  storage?.removeItem(`${PREFIX}${doc}`);
}
