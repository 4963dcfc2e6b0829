// Moving a card with the keyboard: Space or Enter picks it up, the arrows carry it,
// Space or Enter puts it down, Escape puts it back.
import { others, type Lane, type Slot } from "./moves";

/** What a key does to a card. */
export type Intent = "toggle" | "cancel" | "move";

export function intentOf(key: string): Intent | null {
  switch (key) {
    case " ":
    case "Spacebar":
    case "Enter":
      return "toggle";
    case "Escape":
      return "cancel";
    case "ArrowUp":
    case "ArrowDown":
    case "ArrowLeft":
    case "ArrowRight":
    case "Home":
    case "End":
      return "move";
    default:
      return null;
  }
}

/**
 * Where a held card goes on a move key: up and down within the column, left and right to
 * the neighbouring column at the same height (or its bottom), Home and End to the top and
 * bottom. At an edge it stays.
 */
export function step(lanes: readonly Lane[], card: string, from: Slot, key: string): Slot {
  const lane = lanes[from.column];
  if (!lane) return from;
  const last = others(lane, card).length;
  switch (key) {
    case "ArrowUp":
      return { column: from.column, index: Math.max(0, from.index - 1) };
    case "ArrowDown":
      return { column: from.column, index: Math.min(last, from.index + 1) };
    case "Home":
      return { column: from.column, index: 0 };
    case "End":
      return { column: from.column, index: last };
    case "ArrowLeft":
    case "ArrowRight": {
      const column = from.column + (key === "ArrowLeft" ? -1 : 1);
      const target = lanes[column];
      if (!target) return from;
      return { column, index: Math.min(from.index, others(target, card).length) };
    }
    default:
      return from;
  }
}

/** Where a held card is, in words: "To do, position 2 of 3". */
export function describeSlot(lanes: readonly (Lane & { name: string })[], card: string, slot: Slot): string {
  const lane = lanes[slot.column];
  if (!lane) return "";
  const count = others(lane, card).length + 1;
  return `${lane.name}, position ${slot.index + 1} of ${count}`;
}
