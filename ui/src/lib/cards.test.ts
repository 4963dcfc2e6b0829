import { describe, expect, it } from "vitest";
import type { Card, Column } from "../bindings";
import { boardLabels, cardMatches, filterColumns, findCard, NO_FILTER } from "./cards";

function card(id: string, extra: Partial<Card> = {}): Card {
  return {
    id,
    title: id,
    description: "",
    column: "c1",
    assignees: [],
    labels: [],
    due: null,
    checklist: [],
    comments: [],
    created_by: "alice",
    created_at: 0,
    deleted: false,
    ...extra,
  };
}

const columns: Column[] = [
  {
    id: "c1",
    name: "To do",
    cards: [
      card("rent", { assignees: ["alice"], labels: ["urgent"], due: "2026-11-01" }),
      card("flyers", { assignees: ["bob"], labels: ["outreach", "urgent"] }),
    ],
  },
  { id: "c2", name: "Done", cards: [card("meeting", { assignees: ["alice"], due: "2026-12-01" })] },
];
const today = "2026-11-22";

describe("card filters", () => {
  it("keeps my cards", () => {
    const shown = filterColumns(columns, { ...NO_FILTER, mine: true }, "alice", today);
    expect(shown.map((c) => c.cards.map((x) => x.id))).toEqual([["rent"], ["meeting"]]);
  });
  it("keeps overdue cards", () => {
    expect(cardMatches(columns[0]!.cards[0]!, { ...NO_FILTER, overdue: true }, "x", today)).toBe(true);
    expect(cardMatches(columns[1]!.cards[0]!, { ...NO_FILTER, overdue: true }, "x", today)).toBe(false);
  });
  it("combines filters, and keeps empty columns", () => {
    const shown = filterColumns(columns, { mine: true, overdue: false, label: "urgent" }, "alice", today);
    expect(shown.map((c) => c.cards.map((x) => x.id))).toEqual([["rent"], []]);
  });
  it("lists the board's labels once each", () => {
    expect(boardLabels(columns)).toEqual(["outreach", "urgent"]);
  });
  it("finds a card anywhere", () => {
    expect(findCard(columns, "meeting")?.id).toBe("meeting");
    expect(findCard(columns, "nope")).toBeUndefined();
  });
});
