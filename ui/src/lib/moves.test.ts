import { describe, expect, it } from "vitest";
import { applyMove, dropIndex, locate, toFullIndex, type Lane } from "./moves";
import { describeSlot, intentOf, step } from "./keyboard";

const lanes: (Lane & { name: string })[] = [
  { id: "todo", name: "To do", cards: ["a", "b", "c"] },
  { id: "doing", name: "Doing", cards: ["d"] },
  { id: "done", name: "Done", cards: [] },
];

describe("moving with the keyboard", () => {
  it("maps keys to intents", () => {
    expect(intentOf(" ")).toBe("toggle");
    expect(intentOf("Enter")).toBe("toggle");
    expect(intentOf("Escape")).toBe("cancel");
    expect(intentOf("ArrowRight")).toBe("move");
    expect(intentOf("a")).toBeNull();
  });
  it("moves up and down within a column, stopping at its ends", () => {
    const from = locate(lanes, "b")!;
    expect(from).toEqual({ column: 0, index: 1 });
    expect(step(lanes, "b", from, "ArrowUp")).toEqual({ column: 0, index: 0 });
    expect(step(lanes, "b", { column: 0, index: 0 }, "ArrowUp")).toEqual({ column: 0, index: 0 });
    // Among the two other cards, the bottom is position 2.
    expect(step(lanes, "b", { column: 0, index: 2 }, "ArrowDown")).toEqual({ column: 0, index: 2 });
    expect(step(lanes, "b", from, "End")).toEqual({ column: 0, index: 2 });
    expect(step(lanes, "b", from, "Home")).toEqual({ column: 0, index: 0 });
  });
  it("moves across columns at the same height or the bottom, stopping at the edges", () => {
    expect(step(lanes, "c", { column: 0, index: 2 }, "ArrowRight")).toEqual({ column: 1, index: 1 });
    expect(step(lanes, "a", { column: 0, index: 0 }, "ArrowRight")).toEqual({ column: 1, index: 0 });
    expect(step(lanes, "a", { column: 1, index: 1 }, "ArrowRight")).toEqual({ column: 2, index: 0 });
    expect(step(lanes, "a", { column: 2, index: 0 }, "ArrowRight")).toEqual({ column: 2, index: 0 });
    expect(step(lanes, "a", { column: 0, index: 0 }, "ArrowLeft")).toEqual({ column: 0, index: 0 });
  });
  it("says where the card is", () => {
    expect(describeSlot(lanes, "a", { column: 1, index: 1 })).toBe("Doing, position 2 of 2");
    expect(describeSlot(lanes, "a", { column: 0, index: 0 })).toBe("To do, position 1 of 3");
  });
});

describe("where a card lands", () => {
  const columns = lanes.map((l) => ({ id: l.id, cards: l.cards.map((id) => ({ id })) }));
  const ids = (cs: { cards: { id: string }[] }[]) => cs.map((c) => c.cards.map((x) => x.id));

  it("previews a move across and within columns", () => {
    expect(ids(applyMove(columns, "a", { column: 1, index: 1 }))).toEqual([["b", "c"], ["d", "a"], []]);
    expect(ids(applyMove(columns, "a", { column: 0, index: 2 }))).toEqual([["b", "c", "a"], ["d"], []]);
    expect(ids(applyMove(columns, "zz", { column: 0, index: 0 }))).toEqual(ids(columns));
  });
  it("drops before or after the card under the pointer", () => {
    expect(dropIndex(["a", "b", "c"], "a", "c", false)).toBe(1);
    expect(dropIndex(["a", "b", "c"], "a", "c", true)).toBe(2);
    expect(dropIndex(["d"], "a", "d", false)).toBe(0);
    expect(dropIndex(["a", "b"], "b", "b", true)).toBe(1);
  });
  it("counts a position among all cards when a filter hides some", () => {
    const full = ["a", "x", "b", "y", "c"];
    const shown = ["a", "b", "c"];
    expect(toFullIndex(full, shown, "a", 1)).toBe(3); // before c → after y
    expect(toFullIndex(full, shown, "z", 0)).toBe(0);
    expect(toFullIndex(full, shown, "z", 3)).toBe(5);
    expect(toFullIndex(["x", "y"], [], "z", 0)).toBe(2);
  });
});
