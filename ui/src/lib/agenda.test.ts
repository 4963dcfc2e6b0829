import { describe, expect, it } from "vitest";
import { currentSince, noneCurrent, timeBox } from "./agenda";

function memory() {
  const map = new Map<string, string>();
  return {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

describe("agenda timer", () => {
  it("counts what is left of a time box, and when it runs over", () => {
    expect(timeBox(60, 5)).toEqual({ remaining: 240, over: false });
    expect(timeBox(330, 5)).toEqual({ remaining: -30, over: true });
    expect(timeBox(330, null)).toEqual({ remaining: null, over: false });
  });
  it("keeps the moment an item was first seen current, and restarts for another item", () => {
    const s = memory();
    expect(currentSince("doc", "a", 1000, s)).toBe(1000);
    expect(currentSince("doc", "a", 5000, s)).toBe(1000);
    expect(currentSince("doc", "b", 9000, s)).toBe(9000);
    noneCurrent("doc", s);
    expect(currentSince("doc", "b", 12000, s)).toBe(12000);
  });
});
