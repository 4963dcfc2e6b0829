import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { emit } from "@tauri-apps/api/event";
import type { BoardOp, Card, Column, DocView } from "../../bindings";
import DocScreen from "../../screens/DocScreen.svelte";
import { session } from "../session.svelte";
import { ALICE, backend, edited, groupView, settle, type Call } from "../../test/fake";

function card(id: string, title: string, column: string): Card {
  return {
    id,
    title,
    description: "",
    column,
    assignees: [],
    labels: [],
    due: null,
    checklist: [],
    comments: [],
    created_by: ALICE.member_id,
    created_at: 0,
    deleted: false,
  };
}

let columns: Column[];
let calls: Call[];
let heads: string[];

function boardView(): DocView {
  return { id: "d1", group: "g1", heads, kind: "board", title: "Tasks", created_at: 0, created_by: ALICE.member_id, columns, deleted_cards: [] };
}

/** The operations sent to the board, in order. */
function ops(): BoardOp[] {
  return calls.filter((c) => c.cmd === "edit_board").map((c) => c.args.op as BoardOp);
}

beforeEach(() => {
  session.me = ALICE;
  columns = [
    { id: "c1", name: "To do", cards: [] },
    { id: "c2", name: "Doing", cards: [] },
  ];
  heads = ["h1"];
  calls = backend((cmd, args) => {
    switch (cmd) {
      case "doc":
        // A copy, as the real node serializes a fresh view each time.
        return structuredClone(boardView());
      case "group":
        return groupView();
      case "edit_board": {
        const op = args.op as BoardOp;
        heads = [`h${Number(heads[0]!.slice(1)) + 1}`];
        switch (op.op) {
          case "add_card": {
            const column = columns.find((c) => c.id === op.column)!;
            const id = `k${column.cards.length + 1}${column.id}`;
            column.cards.push(card(id, op.title, column.id));
            return edited("d1", { applied: "created", value: id });
          }
          case "move_card": {
            let moving: Card | undefined;
            for (const c of columns) {
              const i = c.cards.findIndex((x) => x.id === op.card);
              if (i >= 0) moving = c.cards.splice(i, 1)[0];
            }
            const target = columns.find((c) => c.id === op.column)!;
            target.cards.splice(op.position ?? target.cards.length, 0, { ...moving!, column: target.id });
            return edited("d1");
          }
          case "describe": {
            const found = columns.flatMap((c) => c.cards).find((c) => c.id === op.card)!;
            found.description = op.text;
            return edited("d1");
          }
        }
        throw new Error(`unexpected ${op.op}`);
      }
    }
  });
});

function column(name: string): HTMLElement {
  const found = screen.getAllByTestId("column").find((c) => c.dataset.columnName === name);
  if (!found) throw new Error(`no column ${name}`);
  return found;
}

describe("board", () => {
  it("adds a card to a column and shows it there", async () => {
    render(DocScreen, { group: "g1", doc: "d1" });
    await screen.findAllByTestId("column");

    const todo = column("To do");
    await fireEvent.input(within(todo).getByTestId("add-card-title"), { target: { value: "Call the landlord" } });
    await fireEvent.click(within(todo).getByTestId("add-card-submit"));

    const added = await within(column("To do")).findByTestId("card");
    expect(added.textContent).toContain("Call the landlord");
    expect(calls.find((c) => c.cmd === "edit_board")?.args).toEqual({
      doc: "d1",
      op: { op: "add_card", column: "c1", title: "Call the landlord" },
    });
    // Shown from the reload that the node's doc_changed caused, not a reload of its own.
    expect(calls.filter((c) => c.cmd === "doc")).toHaveLength(2);
    expect((within(column("To do")).getByTestId("add-card-title") as HTMLInputElement).value).toBe("");
  });

  it("moves a card one column right with Space, ArrowRight, Space, and keeps focus on it", async () => {
    columns[0]!.cards.push(card("k1", "Flyers", "c1"));
    render(DocScreen, { group: "g1", doc: "d1" });
    const flyers = await screen.findByTestId("card");
    flyers.focus();

    await fireEvent.keyDown(flyers, { key: " " });
    expect(screen.getByRole("status", { hidden: true }).textContent).toMatch(/Grabbed Flyers: To do, position 1 of 1/);
    await fireEvent.keyDown(flyers, { key: "ArrowRight" });
    await settle();
    // The preview shows it in Doing already, still focused for the next key.
    const moved = within(column("Doing")).getByTestId("card");
    expect(document.activeElement).toBe(moved);
    await fireEvent.keyDown(moved, { key: " " });
    // The node reports the move (doc_changed) and the board is read again: the card stays
    // where it was dropped meanwhile, and keeps focus across the reload.
    await vi.waitFor(() => expect(calls.filter((c) => c.cmd === "doc")).toHaveLength(2));
    await settle();

    expect(calls.find((c) => c.cmd === "edit_board")?.args).toEqual({
      doc: "d1",
      op: { op: "move_card", card: "k1", column: "c2", position: 0 },
    });
    const inDoing = within(column("Doing")).getByTestId("card");
    expect(inDoing.textContent).toContain("Flyers");
    expect(within(column("To do")).queryByTestId("card")).toBeNull();
    expect(document.activeElement).toBe(inDoing);
  });

  it("puts a card back on Escape without moving it", async () => {
    columns[0]!.cards.push(card("k1", "Flyers", "c1"));
    render(DocScreen, { group: "g1", doc: "d1" });
    const flyers = await screen.findByTestId("card");

    await fireEvent.keyDown(flyers, { key: "Enter" });
    await fireEvent.keyDown(flyers, { key: "ArrowRight" });
    await settle();
    await fireEvent.keyDown(within(column("Doing")).getByTestId("card"), { key: "Escape" });
    await settle();

    expect(within(column("To do")).getByTestId("card").textContent).toContain("Flyers");
    expect(ops()).toEqual([]);
  });

  it("opens a card's details on a mouse click and keeps the card ready to move", async () => {
    columns[0]!.cards.push(card("k1", "Flyers", "c1"));
    render(DocScreen, { group: "g1", doc: "d1" });
    const flyers = await screen.findByTestId("card");
    flyers.focus();
    await fireEvent.click(flyers, { detail: 1 });

    expect(screen.getByRole("complementary", { name: "Flyers" })).toBeTruthy();
    expect(document.activeElement).toBe(flyers);
    await fireEvent.keyDown(flyers, { key: " " });
    await fireEvent.keyDown(flyers, { key: "ArrowRight" });
    await settle();
    await fireEvent.keyDown(within(column("Doing")).getByTestId("card"), { key: " " });
    await settle();
    expect(ops()[0]).toMatchObject({ op: "move_card", card: "k1", column: "c2" });
  });

  it("reloads when another member's change arrives", async () => {
    render(DocScreen, { group: "g1", doc: "d1" });
    await screen.findAllByTestId("column");
    await settle();
    columns[1]!.cards.push(card("k9", "From Bob", "c2"));

    await emit("node-event", { event: "doc_changed", group: "g1", doc: "d1" });

    expect((await within(column("Doing")).findByTestId("card")).textContent).toContain("From Bob");
  });
});
