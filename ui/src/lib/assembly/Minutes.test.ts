import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { emit } from "@tauri-apps/api/event";
import type { Assembly, AssemblyOp, DocView } from "../../bindings";
import DocScreen from "../../screens/DocScreen.svelte";
import { session } from "../session.svelte";
import { ALICE, alice, backend, edited, groupView, settle, type Call } from "../../test/fake";

let assembly: Assembly;
let heads: string[];
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
  heads = ["h1"];
  calls = backend((cmd, args) => {
    switch (cmd) {
      case "doc":
        return structuredClone({ id: "a1", group: "g1", heads, kind: "assembly", ...assembly } satisfies DocView);
      case "group":
        return groupView();
      case "edit_assembly": {
        const op = args.op as AssemblyOp;
        if (op.op !== "minutes") throw new Error(`unexpected ${op.op}`);
        // The node merges what was written since `based_on`: here Bob's line is kept.
        assembly.minutes = `${op.text}\nBob: the boiler is fixed.`;
        heads = ["h3"];
        return edited("a1");
      }
    }
  });
});

describe("minutes", () => {
  it("keeps what I type when someone else's change arrives, saves it on the version I saw, then shows the merged text", async () => {
    render(DocScreen, { group: "g1", doc: "a1" });
    const minutes = (await screen.findByLabelText(/^Minutes \(everyone/)) as HTMLTextAreaElement;
    expect(minutes.value).toBe("Opened at 18:30.");
    expect(minutes.dataset.testid).toBe("minutes");

    await fireEvent.input(minutes, { target: { value: "Opened at 18:30. Alice chairs." } });
    assembly.minutes = "Opened at 18:30.\nBob: the boiler is fixed.";
    heads = ["h2"];
    await emit("node-event", { event: "doc_changed", group: "g1", doc: "a1" });
    await settle();
    expect(minutes.value).toBe("Opened at 18:30. Alice chairs.");

    // After the pause, saved once with my text, based on the version shown when I began
    // typing; then the field follows the document again.
    await new Promise((r) => setTimeout(r, 2000));
    await settle();
    expect(calls.filter((c) => c.cmd === "edit_assembly").map((c) => c.args)).toEqual([
      { doc: "a1", op: { op: "minutes", text: "Opened at 18:30. Alice chairs.", based_on: ["h1"] } },
    ]);
    expect(minutes.value).toBe("Opened at 18:30. Alice chairs.\nBob: the boiler is fixed.");

    // The next save is based on the version now shown.
    await fireEvent.input(minutes, { target: { value: `${minutes.value}\nClosed at 20:00.` } });
    await fireEvent.blur(minutes);
    await settle();
    expect(calls.filter((c) => c.cmd === "edit_assembly").at(-1)?.args.op).toMatchObject({ based_on: ["h3"] });
  });
});
