import { describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import App from "./App.svelte";
import type { Status, WhoAmI } from "./bindings";
import { session } from "./lib/session.svelte";
import { ALICE, backend, refuse } from "./test/fake";

const status: Status = { running: true, peer_id: ALICE.peer_id, listening: [], connected: [], groups: [] };

describe("first run", () => {
  it("asks for a name, creates the identity, then shows the groups", async () => {
    session.me = null;
    let me: WhoAmI | null = null;
    const calls = backend((cmd, args) => {
      switch (cmd) {
        case "whoami":
          return me;
        case "init":
          me = { ...ALICE, name: args.name as string };
          return me;
        case "groups":
          return [];
        case "status":
          return status;
      }
    });
    render(App);

    const input = await screen.findByTestId("name-input");
    await fireEvent.input(input, { target: { value: "  Alice " } });
    await fireEvent.click(screen.getByTestId("name-submit"));

    expect(await screen.findByTestId("create-group-name")).toBeTruthy();
    expect(calls.find((c) => c.cmd === "init")?.args).toEqual({ name: "Alice" });
    expect(screen.getByText("Hello, Alice")).toBeTruthy();
    expect(screen.getByTestId("join-code")).toBeTruthy();
  });

  it("shows the node's sentence when the name is refused, not JSON", async () => {
    session.me = null;
    backend((cmd) => {
      if (cmd === "whoami") return null;
      if (cmd === "init") refuse("a name must not be empty or longer than 80 characters");
    });
    render(App);

    await fireEvent.input(await screen.findByTestId("name-input"), { target: { value: "x" } });
    await fireEvent.click(screen.getByTestId("name-submit"));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("a name must not be empty or longer than 80 characters");
  });
});

describe("joining", () => {
  it("says it is joining, then shows why it failed", async () => {
    session.me = null;
    let answer: (value: unknown) => void = () => {};
    backend((cmd) => {
      switch (cmd) {
        case "whoami":
          return ALICE;
        case "groups":
          return [];
        case "status":
          return status;
        case "join":
          return new Promise((_, reject) => {
            answer = reject;
          });
      }
    });
    render(App);

    await fireEvent.input(await screen.findByTestId("join-code"), { target: { value: "bad-code" } });
    await fireEvent.click(screen.getByTestId("join-submit"));
    const status_ = screen.getByTestId("join-status");
    expect(status_.textContent).toMatch(/Joining…/);
    expect((screen.getByTestId("join-submit") as HTMLButtonElement).disabled).toBe(true);

    answer({ kind: "join", message: "No member answered within a minute; try again when one is online." });
    await screen.findByText(/No member answered/);
    expect(status_.textContent).toBe("No member answered within a minute; try again when one is online.");
  });
});
