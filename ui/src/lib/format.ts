// How times, dates, tallies and outcomes read on screen. Pure, so it is tested alone.
import type { Outcome, Rule, Stance, Tally } from "../bindings";

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "just now", "3 min ago", "2 h ago", "yesterday", "5 days ago", then a date. */
export function relativeTime(unixSeconds: number, nowMs: number = Date.now()): string {
  const diff = Math.round(nowMs / 1000 - unixSeconds);
  if (diff < 0) {
    // Another member's clock may run ahead of ours: a change is never "in the future".
    return diff > -5 * MINUTE ? "just now" : shortDate(unixSeconds, nowMs);
  }
  if (diff < 45) return "just now";
  if (diff < HOUR) return `${Math.max(1, Math.round(diff / MINUTE))} min ago`;
  if (diff < DAY) return `${Math.round(diff / HOUR)} h ago`;
  if (diff < 2 * DAY) return "yesterday";
  if (diff < 7 * DAY) return `${Math.floor(diff / DAY)} days ago`;
  return shortDate(unixSeconds, nowMs);
}

/** "12 Mar", or "12 Mar 2025" when not this year. */
export function shortDate(unixSeconds: number, nowMs: number = Date.now()): string {
  const date = new Date(unixSeconds * 1000);
  const sameYear = date.getFullYear() === new Date(nowMs).getFullYear();
  const day = `${date.getDate()} ${MONTHS[date.getMonth()]}`;
  return sameYear ? day : `${day} ${date.getFullYear()}`;
}

/** A local calendar date as `YYYY-MM-DD`, the form due dates are kept in. */
export function isoDate(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, "0");
  return `${date.getFullYear()}-${month}-${day}`;
}

/** Today, in the person's own time zone. */
export function today(now: Date = new Date()): string {
  return isoDate(now);
}

/** Whether a `YYYY-MM-DD` due date has passed (a thing due today is not late yet). */
export function isOverdue(due: string | null | undefined, todayIso: string): boolean {
  // ISO dates of the same length compare as strings.
  return !!due && due < todayIso;
}

/** Whole days from `from` to `to`, both `YYYY-MM-DD`. */
export function daysBetween(from: string, to: string): number {
  const a = Date.UTC(+from.slice(0, 4), +from.slice(5, 7) - 1, +from.slice(8, 10));
  const b = Date.UTC(+to.slice(0, 4), +to.slice(5, 7) - 1, +to.slice(8, 10));
  return Math.round((b - a) / (DAY * 1000));
}

/** "due today", "due tomorrow", "due in 3 days", "1 day overdue", "4 days overdue". */
export function dueLabel(due: string, todayIso: string): string {
  const days = daysBetween(todayIso, due);
  if (days === 0) return "due today";
  if (days === 1) return "due tomorrow";
  if (days > 1) return `due in ${days} days`;
  return days === -1 ? "1 day overdue" : `${-days} days overdue`;
}

/** "in 7 days", "in 3 h", "expired": when a code stops working (unix ms). */
export function expiresLabel(expiresAtMs: number | null, nowMs: number = Date.now()): string {
  if (expiresAtMs === null) return "does not expire";
  const left = Math.round((expiresAtMs - nowMs) / 1000);
  if (left <= 0) return "expired";
  if (left < HOUR) return `expires in ${Math.max(1, Math.round(left / MINUTE))} min`;
  if (left < 2 * DAY) return `expires in ${Math.round(left / HOUR)} h`;
  return `expires in ${Math.round(left / DAY)} days`;
}

/** A running timer: "4:05", "1:02:03". */
export function clock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / HOUR);
  const m = Math.floor((s % HOUR) / MINUTE);
  const sec = String(s % MINUTE).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** The counts of a tally in words, every stance named. */
export function tallyText(tally: Tally): string {
  return `${tally.agree} agree · ${tally.abstain} abstain · ${tally.disagree} disagree · ${tally.block} block`;
}

/** The outcome word exactly as the node gives it. */
export function outcomeText(outcome: Outcome): string {
  return outcome;
}

const RULES: Record<Rule, { name: string; meaning: string }> = {
  consent: { name: "Consent", meaning: "passes unless someone blocks" },
  consensus: { name: "Consensus", meaning: "passes when nobody disagrees or blocks" },
  majority: { name: "Majority", meaning: "more agree than disagree and block together" },
  "two-thirds": { name: "Two thirds", meaning: "two thirds of those not abstaining agree" },
};

/** The rules in the order a form offers them. */
export const RULE_ORDER: readonly Rule[] = ["consent", "consensus", "majority", "two-thirds"];

export function ruleName(rule: Rule): string {
  return RULES[rule].name;
}

export function ruleMeaning(rule: Rule): string {
  return RULES[rule].meaning;
}

/** The stances in the order buttons show them. */
export const STANCES: readonly Stance[] = ["agree", "abstain", "disagree", "block"];

/** A short id for people to tell two things apart: the first 8 characters. */
export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

/** "1 member", "3 members". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
