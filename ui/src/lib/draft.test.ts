import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { vi } from "vitest";
import { DraftSync, flushAllDrafts } from "./draft";

/** A document's text at a version, as a reload shows it. */
type Version = { text: string; heads: string[] };

describe("DraftSync", () => {
  let shown: string[];
  let saves: { text: string; basedOn: string[] }[];
  let doc: Version;
  let version: number;
  /** A change from Bob, merged into whatever the document holds when it arrives. */
  let bobWrites: string | null;
  let sync: DraftSync;

  /** A new version of the document reaches the field (the reload after `doc_changed`). */
  function reload(text: string) {
    version++;
    doc = { text, heads: [`h${version}`] };
    sync.remoteChanged(doc.text, doc.heads);
  }

  beforeEach(() => {
    vi.useFakeTimers();
    shown = [];
    saves = [];
    version = 1;
    doc = { text: "Agenda:", heads: ["h1"] };
    bobWrites = null;
    sync = new DraftSync(doc.text, doc.heads, {
      save: async (text, basedOn) => {
        saves.push({ text, basedOn });
        // The node merges: what Bob wrote since stays. Its doc_changed, then the reload,
        // come after the command has answered.
        const merged = bobWrites === null ? text : `${text}\n${bobWrites}`;
        setTimeout(() => reload(merged), 20);
      },
      show: (text) => shown.push(text),
      debounceMs: 400,
      idleMs: 1500,
      echoMs: 3000,
      now: () => Date.now(),
    });
  });
  afterEach(() => {
    sync.dispose();
    vi.useRealTimers();
  });

  it("saves once after the person pauses, not on every key, based on the version shown", async () => {
    sync.input("Agenda: r");
    sync.input("Agenda: rent");
    await vi.advanceTimersByTimeAsync(399);
    expect(saves).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(saves).toEqual([{ text: "Agenda: rent", basedOn: ["h1"] }]);
  });

  it("keeps the person's text while a remote change arrives, saves it on the version shown, then shows the merged text", async () => {
    sync.input("Agenda: rent");
    bobWrites = "Bob was here";
    reload("Agenda:\nBob was here");
    expect(shown).toEqual([]);

    await vi.advanceTimersByTimeAsync(400);
    // Based on the version the field showed when typing began, not the one that arrived since.
    expect(saves).toEqual([{ text: "Agenda: rent", basedOn: ["h1"] }]);
    await vi.advanceTimersByTimeAsync(100);
    expect(shown).toEqual([]);

    await vi.advanceTimersByTimeAsync(1100);
    expect(shown).toEqual(["Agenda: rent\nBob was here"]);
    expect(sync.basedOn).toEqual(["h3"]);

    // After the resync, the next save is based on the version now shown.
    sync.input("Agenda: rent\nBob was here\nAlice too");
    await vi.advanceTimersByTimeAsync(400);
    expect(saves[1]).toEqual({ text: "Agenda: rent\nBob was here\nAlice too", basedOn: ["h3"] });
  });

  it("keeps the same base across several saves while the person types on", async () => {
    sync.input("Agenda: r");
    await vi.advanceTimersByTimeAsync(400);
    sync.input("Agenda: rent");
    await vi.advanceTimersByTimeAsync(400);
    // The reload holding the first save came in meanwhile; the field did not resync (typing).
    expect(saves.map((s) => s.basedOn)).toEqual([["h1"], ["h1"]]);
    expect(shown).toEqual([]);
  });

  it("follows the document at once when the person is not typing, and bases later saves on it", async () => {
    reload("New text");
    expect(shown).toEqual(["New text"]);
    expect(sync.basedOn).toEqual(["h2"]);
    sync.input("New text!");
    await vi.advanceTimersByTimeAsync(400);
    expect(saves).toEqual([{ text: "New text!", basedOn: ["h2"] }]);
  });

  it("takes a new version of the same text as the base", async () => {
    reload("Agenda:");
    expect(shown).toEqual([]);
    expect(sync.basedOn).toEqual(["h2"]);
  });

  it("keeps the saved text in the field until the reload holding it arrives", async () => {
    let answer: () => void = () => {};
    const field = new DraftSync("Agenda:", ["h1"], {
      save: () =>
        new Promise<void>((resolve) => {
          answer = resolve;
        }),
      show: (text) => shown.push(text),
      echoMs: 3000,
    });
    field.input("Agenda: rent");
    await vi.advanceTimersByTimeAsync(400);
    // A reload started before the save answers during it, with the older text.
    field.remoteChanged("Agenda:", ["h1"]);
    answer();
    // The typing pause passes: the field keeps what was typed rather than flashing "Agenda:".
    await vi.advanceTimersByTimeAsync(1500);
    expect(shown).toEqual([]);
    // The reload after the save's doc_changed: the field follows it, and saves are based on it.
    field.remoteChanged("Agenda: rent", ["h2"]);
    expect(shown).toEqual([]);
    expect(field.basedOn).toEqual(["h2"]);
    field.dispose();
  });

  it("shows the latest text after a while when no reload holding the save comes", async () => {
    const quiet: DraftSync = new DraftSync("a", ["h1"], {
      // A reload answers during the save: it may predate it, so the field waits for another.
      save: async () => quiet.remoteChanged("a", ["h1"]),
      show: (text) => shown.push(text),
      echoMs: 3000,
    });
    quiet.input("ab");
    await vi.advanceTimersByTimeAsync(400);
    await vi.advanceTimersByTimeAsync(2000);
    expect(shown).toEqual([]);
    await vi.advanceTimersByTimeAsync(1500);
    expect(shown).toEqual(["a"]);
    quiet.dispose();
  });

  it("reports a failed save and keeps the draft, even when the document changes", async () => {
    const failed: unknown[] = [];
    let attempts = 0;
    const broken = new DraftSync("x", ["h1"], {
      save: async () => {
        attempts++;
        if (attempts === 1) throw new Error("Mutual's node has stopped; restart the app");
      },
      show: (t) => shown.push(t),
      failed: (e) => failed.push(e),
    });
    broken.input("xy");
    await vi.advanceTimersByTimeAsync(400);
    expect(failed).toHaveLength(1);
    broken.remoteChanged("x and more", ["h2"]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(shown).toEqual([]);

    // Saving again (the field loses focus, the window closes) tries again.
    await broken.flush();
    expect(attempts).toBe(2);
    expect(failed).toEqual([expect.any(Error), null]);
    broken.dispose();
  });
});

describe("flushAllDrafts", () => {
  it("saves what every live field holds, and waits for the saves", async () => {
    const saved: string[] = [];
    const slowly = (text: string) =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          saved.push(text);
          resolve();
        }, 50),
      );
    const minutes = new DraftSync("", [], { save: slowly, show: () => {} });
    const description = new DraftSync("", [], { save: slowly, show: () => {} });
    const untouched = new DraftSync("same", [], { save: slowly, show: () => {} });
    minutes.input("Opened at 18:30.");
    description.input("Call the landlord");

    await flushAllDrafts();
    expect(saved.sort()).toEqual(["Call the landlord", "Opened at 18:30."]);

    // A closed field saves what it held, then is forgotten.
    minutes.input("Opened at 18:30. Closed at 20:00.");
    await minutes.close();
    expect(saved).toContain("Opened at 18:30. Closed at 20:00.");
    await flushAllDrafts();
    expect(saved).toHaveLength(3);
    for (const d of [description, untouched]) d.dispose();
  });
});
