import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { emit } from "@tauri-apps/api/event";
import { mockWindows } from "@tauri-apps/api/mocks";
import App from "./App.svelte";
import type { AdditionView, Assembly, AssemblyOp, DocView, Look, Status, WhoAmI } from "./bindings";
import { session } from "./lib/session.svelte";
import { ALICE, alice, backend, edited, groupView, refuse, settle, type Call } from "./test/fake";

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
        case "pending_additions":
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
  it("says it is looking, then shows why it failed", async () => {
    session.me = null;
    let answer: (value: unknown) => void = () => {};
    backend((cmd) => {
      switch (cmd) {
        case "whoami":
          return ALICE;
        case "groups":
          return [];
        case "pending_additions":
          return [];
        case "status":
          return status;
        case "look_before_joining":
          return new Promise((_, reject) => {
            answer = reject;
          });
      }
    });
    render(App);

    await fireEvent.input(await screen.findByTestId("join-code"), { target: { value: "bad-code" } });
    await fireEvent.click(screen.getByTestId("join-submit"));
    const status_ = screen.getByTestId("join-status");
    expect(status_.textContent).toMatch(/Looking for a member…/);
    expect((screen.getByTestId("join-submit") as HTMLButtonElement).disabled).toBe(true);

    answer({ kind: "join", message: "No member answered within a minute; try again when one is online." });
    await screen.findByText(/No member answered/);
    expect(status_.textContent).toBe("No member answered within a minute; try again when one is online.");
  });

  const look: Look = {
    linked: false,
    groups: [
      {
        group: "g1",
        name: "Tenants' union",
        offered_by: "Uma",
        members: [
          { name: "Uma", role: "admin" },
          { name: "Mallory", role: "member" },
        ],
        heads: ["h1"],
      },
    ],
  };

  function joiningBackend(groups: () => unknown[]) {
    return backend((cmd) => {
      switch (cmd) {
        case "whoami":
          return ALICE;
        case "groups":
          return groups();
        case "pending_additions":
          return [];
        case "status":
          return status;
        case "look_before_joining":
          return look;
        case "join":
          return { groups: [{ group: "g1", name: "Tenants' union" }], synced: true, linked: false };
      }
    });
  }

  it("shows who is in the group and whose laptop answered, and joins what was shown on confirm", async () => {
    session.me = null;
    let joined = false;
    const calls = joiningBackend(() => (joined ? [{ id: "g1", name: "Tenants' union" }] : []));
    render(App);

    await fireEvent.input(await screen.findByTestId("join-code"), { target: { value: "7K3M-0Q9D" } });
    await fireEvent.click(screen.getByTestId("join-submit"));
    const shown = await screen.findByTestId("join-look");
    expect(shown.textContent).toMatch(/Uma’s laptop answered/);
    expect(screen.getAllByTestId("join-look-member").map((m) => m.textContent?.trim())).toEqual([
      "Uma (admin)",
      "Mallory",
    ]);
    // Looking saved nothing and asked nobody to admit this computer.
    expect(calls.some((c) => c.cmd === "join")).toBe(false);
    await settle();
    expect(document.activeElement?.id).toBe("look-title");

    joined = true;
    await fireEvent.click(screen.getByTestId("join-confirm"));
    await settle();
    const join = calls.find((c) => c.cmd === "join");
    expect(join?.args).toEqual({ code: "7K3M-0Q9D", name: null, look });
  });

  it("cancels a look with Escape, joining nothing", async () => {
    session.me = null;
    const calls = joiningBackend(() => []);
    render(App);

    await fireEvent.input(await screen.findByTestId("join-code"), { target: { value: "7K3M-0Q9D" } });
    await fireEvent.click(screen.getByTestId("join-submit"));
    const shown = await screen.findByTestId("join-look");
    await fireEvent.keyDown(shown, { key: "Escape" });
    expect(screen.queryByTestId("join-look")).toBeNull();
    expect(screen.getByTestId("join-status").textContent).toBe("Not joined. Nothing was saved.");
    expect(calls.some((c) => c.cmd === "join")).toBe(false);
  });
});

describe("a look with a code", () => {
  it("is kept for the group's home when the node says a device looked and did not join", async () => {
    session.me = null;
    session.looks = [];
    backend((cmd) => {
      switch (cmd) {
        case "whoami":
          return ALICE;
        case "groups":
        case "pending_additions":
          return [];
        case "status":
          return status;
      }
    });
    render(App);
    await screen.findByTestId("join-code");
    await emit("node-event", { event: "looked", peer: "12D3KooWEve", groups: ["g1"] });
    await settle();
    expect(session.looks.map((l) => [l.group, l.peer])).toEqual([["g1", "12D3KooWEve"]]);
  });
});

describe("an addition nobody asked for", () => {
  it("shows who added this computer to which group, and joins only on Accept", async () => {
    session.me = null;
    let pending: AdditionView[] = [
      { group: "g9", name: "Rent strike", added_by: "Mallory", added_by_device: "12D3KooWMallory", added_at: 0 },
    ];
    const calls = backend((cmd) => {
      switch (cmd) {
        case "whoami":
          return ALICE;
        case "groups":
          return [];
        case "pending_additions":
          return pending;
        case "status":
          return status;
        case "accept_addition":
        case "ignore_addition":
          pending = [];
          return null;
      }
    });
    render(App);

    const item = await screen.findByTestId("pending-addition");
    expect(item.textContent).toMatch(/Mallory\s+added this computer to\s+Rent strike/);
    expect(calls.some((c) => c.cmd === "accept_addition")).toBe(false);
    await fireEvent.click(screen.getByRole("button", { name: "Accept" }));
    await settle();
    expect(calls.find((c) => c.cmd === "accept_addition")?.args).toEqual({ group: "g9" });
    expect(screen.queryByTestId("pending-addition")).toBeNull();
  });
});

describe("closing the window", () => {
  let unshared: number;
  let calls: Call[];
  const minutes: Assembly = {
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

  beforeEach(() => {
    // Under the Tauri shell, with its main window.
    (globalThis as { isTauri?: boolean }).isTauri = true;
    session.me = null;
    session.go({ name: "doc", group: "g1", doc: "a1" });
    unshared = 0;
    calls = backend((cmd, args) => {
      switch (cmd) {
        case "whoami":
          return ALICE;
        case "groups":
          return [];
        case "pending_additions":
          return [];
        case "group":
          return groupView();
        case "doc":
          return { id: "a1", group: "g1", heads: ["h1"], kind: "assembly", ...minutes } satisfies DocView;
        case "edit_assembly":
          expect((args.op as AssemblyOp).op).toBe("minutes");
          return edited("a1");
        case "status":
          return {
            ...status,
            groups: [{ id: "g1", name: "Elm Street tenants", devices: [], unshared, only_here: unshared > 0 }],
          } satisfies Status;
        case "plugin:window|destroy":
          return null;
      }
    });
    mockWindows("main");
  });
  afterEach(() => {
    delete (globalThis as { isTauri?: boolean }).isTauri;
    session.go({ name: "home" });
  });

  /** The close button of the window, as the shell reports it. */
  async function requestClose() {
    await emit("tauri://close-requested");
    await settle();
  }

  const destroyed = () => calls.filter((c) => c.cmd === "plugin:window|destroy").length;

  it("saves the text being typed first, then warns about changes only here; Escape keeps Mutual open", async () => {
    render(App);
    const field = (await screen.findByLabelText(/^Minutes \(everyone/)) as HTMLTextAreaElement;
    await fireEvent.input(field, { target: { value: "Opened at 18:30. Alice chairs." } });
    unshared = 3;

    await requestClose();
    const warning = await screen.findByTestId("close-warning");
    // Saved before the status was asked.
    const saved = calls.findIndex((c) => c.cmd === "edit_assembly");
    expect(saved).toBeGreaterThanOrEqual(0);
    expect(calls[saved]?.args.op).toMatchObject({ text: "Opened at 18:30. Alice chairs.", based_on: ["h1"] });
    const asked = calls.map((c) => c.cmd).lastIndexOf("status");
    expect(asked).toBeGreaterThan(saved);

    expect(warning.textContent).toContain("3 changes are only on this laptop.");
    expect(warning.textContent).toContain("No other member's device has them yet");
    expect(document.activeElement).toBe(screen.getByTestId("close-cancel"));

    await fireEvent.keyDown(warning, { key: "Escape" });
    await settle();
    expect(screen.queryByTestId("close-warning")).toBeNull();
    expect(destroyed()).toBe(0);

    await requestClose();
    await fireEvent.click(await screen.findByTestId("close-anyway"));
    await vi.waitFor(() => expect(destroyed()).toBe(1));
  });

  it("keeps Mutual open with its button", async () => {
    render(App);
    await screen.findByLabelText(/^Minutes \(everyone/);
    unshared = 1;
    await requestClose();
    expect((await screen.findByTestId("close-warning")).textContent).toContain("1 change is only on this laptop.");
    await fireEvent.click(screen.getByTestId("close-cancel"));
    await settle();
    expect(screen.queryByTestId("close-warning")).toBeNull();
    expect(destroyed()).toBe(0);
  });

  it("closes at once when every change is on another member's device too", async () => {
    render(App);
    await screen.findByLabelText(/^Minutes \(everyone/);
    await requestClose();
    await vi.waitFor(() => expect(destroyed()).toBe(1));
    expect(screen.queryByTestId("close-warning")).toBeNull();
  });
});
