import { describe, expect, it } from "vitest";
import {
  clock,
  daysBetween,
  dueLabel,
  expiresLabel,
  isOverdue,
  isoDate,
  plural,
  relativeTime,
  shortId,
  tallyText,
} from "./format";

const now = Date.UTC(2026, 10, 22, 12, 0, 0);
const secondsAgo = (s: number) => now / 1000 - s;

describe("relativeTime", () => {
  it("says just now for the last seconds, and for a clock slightly ahead", () => {
    expect(relativeTime(secondsAgo(10), now)).toBe("just now");
    expect(relativeTime(secondsAgo(-30), now)).toBe("just now");
  });
  it("counts minutes, hours and days", () => {
    expect(relativeTime(secondsAgo(3 * 60), now)).toBe("3 min ago");
    expect(relativeTime(secondsAgo(50), now)).toBe("1 min ago");
    expect(relativeTime(secondsAgo(2 * 3600), now)).toBe("2 h ago");
    expect(relativeTime(secondsAgo(30 * 3600), now)).toBe("yesterday");
    expect(relativeTime(secondsAgo(5 * 86400), now)).toBe("5 days ago");
  });
  it("gives a date past a week, with the year only when it differs", () => {
    expect(relativeTime(secondsAgo(20 * 86400), now)).toMatch(/^\d+ Nov$/);
    expect(relativeTime(Date.UTC(2025, 2, 12, 12) / 1000, now)).toBe("12 Mar 2025");
  });
});

describe("due dates", () => {
  it("is overdue only after the day has passed", () => {
    expect(isOverdue("2026-11-21", "2026-11-22")).toBe(true);
    expect(isOverdue("2026-11-22", "2026-11-22")).toBe(false);
    expect(isOverdue("2026-12-01", "2026-11-22")).toBe(false);
    expect(isOverdue(null, "2026-11-22")).toBe(false);
  });
  it("labels due dates in words", () => {
    expect(dueLabel("2026-11-22", "2026-11-22")).toBe("due today");
    expect(dueLabel("2026-11-23", "2026-11-22")).toBe("due tomorrow");
    expect(dueLabel("2026-11-25", "2026-11-22")).toBe("due in 3 days");
    expect(dueLabel("2026-11-21", "2026-11-22")).toBe("1 day overdue");
    expect(dueLabel("2026-11-12", "2026-11-22")).toBe("10 days overdue");
  });
  it("counts days across a month and a daylight-saving change", () => {
    expect(daysBetween("2026-10-20", "2026-11-02")).toBe(13);
    expect(daysBetween("2026-03-28", "2026-03-30")).toBe(2);
  });
  it("writes local dates as YYYY-MM-DD", () => {
    expect(isoDate(new Date(2026, 0, 5))).toBe("2026-01-05");
  });
});

describe("other labels", () => {
  it("says when a code expires", () => {
    expect(expiresLabel(now + 7 * 86400 * 1000, now)).toBe("expires in 7 days");
    expect(expiresLabel(now + 3 * 3600 * 1000, now)).toBe("expires in 3 h");
    expect(expiresLabel(now + 10 * 60 * 1000, now)).toBe("expires in 10 min");
    expect(expiresLabel(now - 1, now)).toBe("expired");
    expect(expiresLabel(null, now)).toBe("does not expire");
  });
  it("runs a clock", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(245)).toBe("4:05");
    expect(clock(3723)).toBe("1:02:03");
  });
  it("names every stance in a tally", () => {
    expect(tallyText({ agree: 3, abstain: 1, disagree: 0, block: 2 })).toBe(
      "3 agree · 1 abstain · 0 disagree · 2 block",
    );
  });
  it("shortens ids and counts things", () => {
    expect(shortId("0123456789abcdef")).toBe("01234567…");
    expect(shortId("abc")).toBe("abc");
    expect(plural(1, "member")).toBe("1 member");
    expect(plural(3, "member")).toBe("3 members");
  });
});
