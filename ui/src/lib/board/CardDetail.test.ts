import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import type { BoardOp, Card, DocView } from "../../bindings";
import CardDetail from "./CardDetail.svelte";
import { alice, backend, bob, edited, settle, type Call } from "../../test/fake";
import { FakeOpenDoc } from "../../test/open-doc.svelte";

const card: Card = {
  id: "k1",
  title: "Fix the boiler",
  description: "Call the landlord first.",
  column: "c1",
  assignees: [alice.id],
  labels: [],
  due: null,
  checklist: [],
  comments: [],
  created_by: alice.id,
  created_at: 0,
  deleted: false,
};

function board(heads: string[], description = card.description): DocView {
  return {
    id: "d1",
    group: "g1",
    heads,
    kind: "board",
    title: "Repairs",
    created_at: 0,
    created_by: alice.id,
    columns: [{ id: "c1", name: "To do", cards: [{ ...card, description }] }],
    deleted_cards: [],
  };
}

let calls: Call[];
let open: FakeOpenDoc;

beforeEach(() => {
  open = new FakeOpenDoc(board(["h1"]));
  calls = backend((cmd) => {
    if (cmd === "edit_board") return edited("d1");
  });
});

function ops(): BoardOp[] {
  return calls.filter((c) => c.cmd === "edit_board").map((c) => c.args.op as BoardOp);
}

describe("card details", () => {
  it("saves the description on the version shown when typing began", async () => {
    render(CardDetail, { props: { card, focus: false, onClose: () => {} }, context: open.context });
    const description = screen.getByLabelText("Description") as HTMLTextAreaElement;
    expect(description.value).toBe("Call the landlord first.");

    await fireEvent.input(description, { target: { value: "Call the landlord first. Then the plumber." } });
    // Another change to the board arrives while I type.
    open.view = board(["h2"]);
    await settle();
    await fireEvent.blur(description);
    await settle();

    expect(ops()).toEqual([
      { op: "describe", card: "k1", text: "Call the landlord first. Then the plumber.", based_on: ["h1"] },
    ]);
    expect(description.value).toBe("Call the landlord first. Then the plumber.");
  });

  it("assigns and unassigns people, and deletes the card", async () => {
    let closed = false;
    render(CardDetail, { props: { card, focus: false, onClose: () => (closed = true) }, context: open.context });

    await fireEvent.click(screen.getByRole("checkbox", { name: "Bob" }));
    await fireEvent.click(screen.getByRole("checkbox", { name: "Alice (you)" }));
    await fireEvent.click(screen.getByRole("button", { name: "Delete…" }));
    await fireEvent.click(screen.getByRole("button", { name: "Delete this card" }));
    await settle();

    expect(ops()).toEqual([
      { op: "assign", card: "k1", member: bob.id },
      { op: "unassign", card: "k1", member: alice.id },
      { op: "delete_card", card: "k1" },
    ]);
    expect(closed).toBe(true);
  });
});
