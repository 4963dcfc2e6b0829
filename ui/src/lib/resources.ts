// The resource list's table: open loans, overdue loans, search and filters.
import type { Item, Loan } from "../bindings";
import { isOverdue } from "./format";

/** The loan an item is out on, if it is lent. */
export function openLoan(loans: readonly Loan[], item: string): Loan | undefined {
  for (let i = loans.length - 1; i >= 0; i--) {
    const loan = loans[i]!;
    if (loan.item === item && loan.returned_at === null) return loan;
  }
  return undefined;
}

export function loanOverdue(loan: Loan | undefined, todayIso: string): boolean {
  return !!loan && isOverdue(loan.due, todayIso);
}

export type ItemFilter = {
  /** Words to find in the name, category or location. */
  search: string;
  /** `all`, an item status, or `overdue`. */
  status: "all" | "available" | "lent" | "needed" | "overdue";
  /** A category, or null for all. */
  category: string | null;
};

export const ALL_ITEMS: ItemFilter = { search: "", status: "all", category: null };

export function itemMatches(item: Item, loans: readonly Loan[], filter: ItemFilter, todayIso: string): boolean {
  if (filter.category !== null && item.category !== filter.category) return false;
  if (filter.status === "overdue") {
    if (!loanOverdue(openLoan(loans, item.id), todayIso)) return false;
  } else if (filter.status !== "all" && item.status !== filter.status) {
    return false;
  }
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  const haystack = [item.name, item.category ?? "", item.location ?? ""].join(" ").toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** The categories in use, sorted, once each. */
export function categories(items: readonly Item[]): string[] {
  return [...new Set(items.map((i) => i.category).filter((c): c is string => !!c))].sort((a, b) =>
    a.localeCompare(b),
  );
}
