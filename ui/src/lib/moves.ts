// Where a card goes when it is moved, shared by the mouse and the keyboard.
//
// A position is counted among the *other* cards of the target column, as
// `boardMoveCard` counts it: position 0 is the top, `others.length` the bottom, and a card
// moved within its own column is first taken out.

/** A column as a list of card ids. */
export type Lane = { id: string; cards: readonly string[] };

/** A place on the board: a column (by index) and a position among its other cards. */
export type Slot = { column: number; index: number };

/** The other cards of a lane, without `card`. */
export function others(lane: Lane, card: string): string[] {
  return lane.cards.filter((c) => c !== card);
}

/** Where a card is now, or null if no lane holds it. */
export function locate(lanes: readonly Lane[], card: string): Slot | null {
  for (let column = 0; column < lanes.length; column++) {
    const index = lanes[column]!.cards.indexOf(card);
    if (index >= 0) return { column, index };
  }
  return null;
}

/** The columns as they would look with `card` moved to `slot` (a preview while moving). */
export function applyMove<C extends { id: string }, L extends { cards: C[] }>(
  columns: readonly L[],
  card: string,
  slot: Slot,
): L[] {
  let moving: C | undefined;
  const without = columns.map((column) => {
    const found = column.cards.find((c) => c.id === card);
    if (found) moving = found;
    return { ...column, cards: column.cards.filter((c) => c.id !== card) };
  });
  const target = without[slot.column];
  if (!moving || !target) return [...columns];
  const index = Math.max(0, Math.min(slot.index, target.cards.length));
  target.cards = [...target.cards.slice(0, index), moving, ...target.cards.slice(index)];
  return without;
}

/**
 * The position for a card dropped on `over` (a card of `cards`), before it or `after` it.
 * Dropped on itself it stays where it is.
 */
export function dropIndex(cards: readonly string[], dragged: string, over: string, after: boolean): number {
  const rest = cards.filter((c) => c !== dragged);
  if (over === dragged) return Math.max(0, cards.indexOf(dragged));
  const at = rest.indexOf(over);
  if (at < 0) return rest.length;
  return after ? at + 1 : at;
}

/**
 * A position counted among the cards shown (a filter hides some) turned into one counted
 * among all the cards of the column: the moved card lands just before the shown card it was
 * put before, or just after the last shown one.
 */
export function toFullIndex(full: readonly string[], shown: readonly string[], card: string, index: number): number {
  const fullOthers = full.filter((c) => c !== card);
  const shownOthers = shown.filter((c) => c !== card);
  const before = shownOthers[index];
  if (before !== undefined) return fullOthers.indexOf(before);
  const last = shownOthers[shownOthers.length - 1];
  return last === undefined ? fullOthers.length : fullOthers.indexOf(last) + 1;
}
