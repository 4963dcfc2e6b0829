import { describe, expect, it, vi } from "vitest";
import type { Status } from "../bindings";
import { closeWindow, unsharedChanges, within, type CloseSteps } from "./closing";

function status(...unshared: number[]): Status {
  return {
    running: true,
    peer_id: "pa",
    listening: [],
    connected: [],
    groups: unshared.map((n, i) => ({ id: `g${i}`, name: `Group ${i}`, devices: [], unshared: n, only_here: n > 0 })),
  };
}

/** Steps that record their order; `answer` is the person's choice if asked. */
function steps(current: Status | null | Error, answer = false): { steps: CloseSteps; log: string[] } {
  const log: string[] = [];
  return {
    log,
    steps: {
      flush: async () => {
        await new Promise((r) => setTimeout(r, 5));
        log.push("flushed");
      },
      status: async () => {
        log.push("status");
        if (current instanceof Error) throw current;
        return current;
      },
      confirm: async (n) => {
        log.push(`asked ${n}`);
        return answer;
      },
      close: async () => {
        log.push("closed");
      },
    },
  };
}

describe("closing the window", () => {
  it("saves what is typed first, then closes when every change is also elsewhere", async () => {
    const { steps: s, log } = steps(status(0, 0));
    expect(await closeWindow(s)).toBe(true);
    expect(log).toEqual(["flushed", "status", "closed"]);
  });

  it("warns, after saving, when changes are only here, and stays open if asked to", async () => {
    const { steps: s, log } = steps(status(2, 1), false);
    expect(await closeWindow(s)).toBe(false);
    expect(log).toEqual(["flushed", "status", "asked 3"]);
  });

  it("closes anyway when the person says so", async () => {
    const { steps: s, log } = steps(status(1), true);
    expect(await closeWindow(s)).toBe(true);
    expect(log).toEqual(["flushed", "status", "asked 1", "closed"]);
  });

  it("closes without a warning when the node cannot say", async () => {
    for (const current of [null, new Error("Mutual's node has stopped")]) {
      const { steps: s, log } = steps(current);
      expect(await closeWindow(s)).toBe(true);
      expect(log).toEqual(["flushed", "status", "closed"]);
    }
  });

  it("counts the changes only here over every group", () => {
    expect(unsharedChanges(status(2, 0, 5))).toBe(7);
    expect(unsharedChanges(null)).toBe(0);
  });

  it("gives up waiting for a step that hangs", async () => {
    vi.useFakeTimers();
    const hung = within(new Promise<string>(() => {}), 5000, "gave up");
    await vi.advanceTimersByTimeAsync(5000);
    expect(await hung).toBe("gave up");
    expect(await within(Promise.reject(new Error("x")), 5000, "failed")).toBe("failed");
    expect(await within(Promise.resolve("done"), 5000, "gave up")).toBe("done");
    vi.useRealTimers();
  });
});
