import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DraftSync } from "./draft";

describe("DraftSync", () => {
  let shown: string[];
  let saved: string[];
  let doc: string;
  let sync: DraftSync;

  beforeEach(() => {
    vi.useFakeTimers();
    shown = [];
    saved = [];
    doc = "Agenda:";
    sync = new DraftSync(doc, {
      save: async (text) => {
        saved.push(text);
        // The node merges: here the remote part (a line from Bob) is kept.
        doc = doc.includes("Bob") ? `${text}\nBob was here` : text;
        sync.remoteChanged(doc);
      },
      show: (text) => shown.push(text),
      debounceMs: 400,
      idleMs: 1500,
      now: () => Date.now(),
    });
  });
  afterEach(() => {
    sync.dispose();
    vi.useRealTimers();
  });

  it("saves once after the person pauses, not on every key", async () => {
    sync.input("Agenda: r");
    sync.input("Agenda: rent");
    await vi.advanceTimersByTimeAsync(399);
    expect(saved).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toEqual(["Agenda: rent"]);
  });

  it("keeps the person's text while a remote change arrives, then shows the merged text", async () => {
    sync.input("Agenda: rent");
    doc = "Agenda:\nBob was here";
    sync.remoteChanged(doc);
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(400);
    expect(saved).toEqual(["Agenda: rent"]);
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(1200);
    expect(shown).toEqual(["Agenda: rent\nBob was here"]);
  });

  it("follows the document at once when the person is not typing", async () => {
    sync.remoteChanged("New text");
    expect(shown).toEqual(["New text"]);
  });

  it("reports a failed save and keeps the draft", async () => {
    const failed: unknown[] = [];
    const broken = new DraftSync("x", {
      save: async () => {
        throw new Error("Mutual's node has stopped; restart the app");
      },
      show: (t) => shown.push(t),
      failed: (e) => failed.push(e),
    });
    broken.input("xy");
    await vi.advanceTimersByTimeAsync(400);
    expect(failed).toHaveLength(1);
    broken.dispose();
  });
});
