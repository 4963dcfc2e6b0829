import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import type { Assembly, AssemblyOp, DocView } from "../../bindings";
import Details from "./Details.svelte";
import { alice, backend, bob, edited, settle, type Call } from "../../test/fake";
import { FakeOpenDoc } from "../../test/open-doc.svelte";

let calls: Call[];
let open: FakeOpenDoc;

function assembly(extra: Partial<Assembly> & { heads?: string[] } = {}): DocView {
  return {
    id: "a1",
    group: "g1",
    heads: ["h1"],
    kind: "assembly",
    title: "December assembly",
    created_at: 0,
    created_by: alice.id,
    scheduled_at: "2026-12-01 18:30",
    place: "Community room",
    facilitator: alice.id,
    note_taker: null,
    attendance: [],
    agenda: [],
    deleted_agenda: [],
    proposals: [],
    decisions: [],
    minutes: "",
    actions: [],
    ...extra,
  };
}

beforeEach(() => {
  open = new FakeOpenDoc(assembly());
  calls = backend((cmd) => {
    if (cmd === "edit_assembly") return edited("a1");
  });
});

function ops(): AssemblyOp[] {
  return calls.filter((c) => c.cmd === "edit_assembly").map((c) => c.args.op as AssemblyOp);
}

describe("assembly details", () => {
  it("sends only the fields changed, an emptied one as an empty text (cleared)", async () => {
    render(Details, { context: open.context });
    expect(screen.getByText("Community room")).toBeTruthy();

    await fireEvent.click(screen.getByRole("button", { name: "Edit details" }));
    await fireEvent.input(screen.getByLabelText("Where"), { target: { value: "  " } });
    await fireEvent.change(screen.getByLabelText("Note taker"), { target: { value: bob.id } });
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await settle();

    expect(calls.find((c) => c.cmd === "edit_assembly")?.args).toEqual({
      doc: "a1",
      op: { op: "set", when: null, place: "", facilitator: null, note_taker: bob.id },
    });
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();

    // The document read again (the node reported the change): the details follow it.
    open.view = assembly({ place: null, note_taker: bob.id, heads: ["h2"] });
    await settle();
    expect(screen.getByText("not set")).toBeTruthy();
    expect(screen.getByText("Bob")).toBeTruthy();
  });

  it("sends nothing when nothing changed", async () => {
    render(Details, { context: open.context });
    await fireEvent.click(screen.getByRole("button", { name: "Edit details" }));
    await fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await settle();
    expect(ops()).toEqual([]);
  });
});
