import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { emit } from "@tauri-apps/api/event";
import type { Assembly, DocView } from "../../bindings";
import DocScreen from "../../screens/DocScreen.svelte";
import { session } from "../session.svelte";
import { ALICE, alice, backend, groupView, settle, type Call } from "../../test/fake";

let assembly: Assembly;
let calls: Call[];

beforeEach(() => {
  session.me = ALICE;
  assembly = {
    title: "December assembly",
    created_at: 0,
    created_by: alice.id,
    scheduled_at: null,
    place: null,
    facilitator: null,
    note_taker: null,
    attendance: [],
    agenda: [],
    deleted_agenda: [],
    proposals: [],
    decisions: [],
    minutes: "Opened at 18:30.",
    actions: [],
  };
  calls = backend((cmd, args) => {
    switch (cmd) {
      case "doc":
        return structuredClone({ id: "a1", group: "g1", heads: [], kind: "assembly", ...assembly } satisfies DocView);
      case "group":
        return groupView();
      case "assembly_set_minutes":
        // The node merges concurrent typing; here Bob's line, added meanwhile, is kept.
        assembly.minutes = `${args.text as string}\nBob: the boiler is fixed.`;
        return null;
    }
  });
});

describe("minutes", () => {
  it("keeps what I type when someone else's change arrives, saves it, then shows the merged text", async () => {
    render(DocScreen, { group: "g1", doc: "a1" });
    const minutes = (await screen.findByLabelText(/^Minutes \(everyone/)) as HTMLTextAreaElement;
    expect(minutes.value).toBe("Opened at 18:30.");

    await fireEvent.input(minutes, { target: { value: "Opened at 18:30. Alice chairs." } });
    assembly.minutes = "Opened at 18:30.\nBob: the boiler is fixed.";
    await emit("node-event", { event: "doc_changed", group: "g1", doc: "a1" });
    await settle();
    expect(minutes.value).toBe("Opened at 18:30. Alice chairs.");

    // After the pause, saved once with my text; then the field follows the document again.
    await new Promise((r) => setTimeout(r, 2000));
    await settle();
    expect(calls.filter((c) => c.cmd === "assembly_set_minutes").map((c) => c.args.text)).toEqual([
      "Opened at 18:30. Alice chairs.",
    ]);
    expect(minutes.value).toBe("Opened at 18:30. Alice chairs.\nBob: the boiler is fixed.");
  });
});
