// The board's filters: my cards, overdue cards, cards with a label.
import type { Card, Column } from "../bindings";
import { isOverdue } from "./format";

export type CardFilter = {
  /** Only cards assigned to me. */
  mine: boolean;
  /** Only cards whose due date has passed. */
  overdue: boolean;
  /** Only cards with this label. */
  label: string | null;
};

export const NO_FILTER: CardFilter = { mine: false, overdue: false, label: null };

export function isFiltering(filter: CardFilter): boolean {
  return filter.mine || filter.overdue || filter.label !== null;
}

export function cardMatches(card: Card, filter: CardFilter, me: string, todayIso: string): boolean {
  if (filter.mine && !card.assignees.includes(me)) return false;
  if (filter.overdue && !isOverdue(card.due, todayIso)) return false;
  if (filter.label !== null && !card.labels.includes(filter.label)) return false;
  return true;
}

/** The columns with only the cards that pass the filter (columns themselves stay). */
export function filterColumns(
  columns: readonly Column[],
  filter: CardFilter,
  me: string,
  todayIso: string,
): Column[] {
  if (!isFiltering(filter)) return [...columns];
  return columns.map((c) => ({ ...c, cards: c.cards.filter((card) => cardMatches(card, filter, me, todayIso)) }));
}

/** Every label used on the board, sorted, once each. */
export function boardLabels(columns: readonly Column[]): string[] {
  const labels = new Set<string>();
  for (const column of columns) for (const card of column.cards) for (const l of card.labels) labels.add(l);
  return [...labels].sort((a, b) => a.localeCompare(b));
}

/** The card with this id, wherever it is. */
export function findCard(columns: readonly Column[], id: string): Card | undefined {
  for (const column of columns) {
    const card = column.cards.find((c) => c.id === id);
    if (card) return card;
  }
  return undefined;
}
