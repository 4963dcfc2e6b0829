import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import type { HistoryEntry } from "../bindings";
import Activity from "./Activity.svelte";
import { backend, settle } from "../test/fake";

const entry = (change: string, message: string): HistoryEntry => ({
  change,
  time: 1_700_000_000,
  member_id: "b".repeat(64),
  member: "Mallory",
  device: "12D3KooWMallory",
  message,
});

describe("a document's activity", () => {
  it("restores an earlier version only after a second, explicit click", async () => {
    const calls = backend((cmd) => {
      switch (cmd) {
        case "history":
          return [entry("c1", "added card “Fix the door”"), entry("c2", "deleted card “Fix the door”")];
        case "restore_doc":
          return null;
      }
    });
    render(Activity, { doc: "d1", version: 0 });

    // The latest change is the document as it is: only earlier ones offer a restore.
    const offers = await screen.findAllByTestId("restore-version");
    expect(offers).toHaveLength(1);
    await fireEvent.click(offers[0]!);
    expect(calls.some((c) => c.cmd === "restore_doc")).toBe(false);
    expect(screen.getByRole("group", { name: "Restore this version" }).textContent).toMatch(/history keeps/);

    await fireEvent.click(screen.getByTestId("restore-confirm"));
    await settle();
    expect(calls.find((c) => c.cmd === "restore_doc")?.args).toEqual({ doc: "d1", change: "c1", item: null });
  });
});
