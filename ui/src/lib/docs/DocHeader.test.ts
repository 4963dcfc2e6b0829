import { describe, expect, it } from "vitest";
import { render, screen } from "@testing-library/svelte";
import type { DocView } from "../../bindings";
import DocHeader from "./DocHeader.svelte";
import { ALICE, backend } from "../../test/fake";
import { FakeOpenDoc } from "../../test/open-doc.svelte";

const board = (extra: Partial<Extract<DocView, { kind: "board" }>> = {}): DocView => ({
  id: "d1",
  group: "g1",
  heads: ["h1"],
  kind: "board",
  title: "Tasks",
  created_at: 0,
  created_by: ALICE.member_id,
  columns: [],
  deleted_cards: [],
  ...extra,
});

describe("a document's header", () => {
  it("says which entries a malformed change left unreadable, and nothing when there are none", () => {
    backend(() => null);
    const open = new FakeOpenDoc(
      board({ set_aside: [{ path: "cards/zzzz/title", problem: "expected a string, found an integer" }] }),
    );
    render(DocHeader, { context: open.context });
    const notice = screen.getByTestId("set-aside");
    expect(notice.textContent).toMatch(/1 entry could not be read and is set aside/);
    expect(notice.textContent).toMatch(/cards\/zzzz\/title: expected a string, found an integer/);
  });

  it("shows no notice for a document that reads whole", () => {
    backend(() => null);
    render(DocHeader, { context: new FakeOpenDoc(board()).context });
    expect(screen.queryByTestId("set-aside")).toBeNull();
  });
});
