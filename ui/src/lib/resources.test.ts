import { describe, expect, it } from "vitest";
import type { Item, Loan } from "../bindings";
import { ALL_ITEMS, categories, itemMatches, loanOverdue, openLoan } from "./resources";

function item(id: string, extra: Partial<Item> = {}): Item {
  return {
    id,
    name: id,
    category: null,
    quantity: null,
    unit: null,
    location: null,
    custodian: null,
    condition: null,
    status: "available",
    notes: "",
    created_by: "alice",
    created_at: 0,
    deleted: false,
    ...extra,
  };
}
function loan(id: string, itemId: string, due: string, returned: number | null = null): Loan {
  return { id, item: itemId, to: "bob", lent_at: 0, due, lent_by: "alice", returned_at: returned, returned_by: null };
}

const today = "2026-11-22";
const drill = item("drill", { category: "tools", location: "Basement", status: "lent" });
const pot = item("big pot", { category: "kitchen" });
const van = item("van", { status: "needed" });
const loans = [loan("l1", "drill", "2026-10-01", 5), loan("l2", "drill", "2026-11-20")];

describe("resources", () => {
  it("finds the open loan of an item, not a returned one", () => {
    expect(openLoan(loans, "drill")?.id).toBe("l2");
    expect(openLoan(loans, "big pot")).toBeUndefined();
    expect(loanOverdue(openLoan(loans, "drill"), today)).toBe(true);
  });
  it("searches names, categories and locations", () => {
    const f = (search: string) => [drill, pot, van].filter((i) => itemMatches(i, loans, { ...ALL_ITEMS, search }, today));
    expect(f("basement").map((i) => i.id)).toEqual(["drill"]);
    expect(f("KITCHEN pot").map((i) => i.id)).toEqual(["big pot"]);
    expect(f("").length).toBe(3);
  });
  it("filters by status, overdue loans and category", () => {
    const f = (status: typeof ALL_ITEMS.status, category: string | null = null) =>
      [drill, pot, van].filter((i) => itemMatches(i, loans, { search: "", status, category }, today)).map((i) => i.id);
    expect(f("needed")).toEqual(["van"]);
    expect(f("overdue")).toEqual(["drill"]);
    expect(f("all", "kitchen")).toEqual(["big pot"]);
    expect(categories([drill, pot, van])).toEqual(["kitchen", "tools"]);
  });
});
