import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import Settings from "./Settings.svelte";
import { session } from "../lib/session.svelte";
import { ALICE, backend, settle, type Call } from "../test/fake";

let calls: Call[];

beforeEach(() => {
  session.me = ALICE;
  calls = backend((cmd, args) => {
    switch (cmd) {
      case "devices":
        return [{ peer_id: ALICE.peer_id, this_device: true, groups: ["g1"] }];
      case "data_location":
        return { path: "/home/alice/.local/share/mutual" };
      case "groups":
        return [];
      case "set_name":
        return { ...ALICE, name: args.name as string };
      case "backup":
        return "/home/alice/Documents/Mutual backup.age";
    }
  });
});

describe("settings", () => {
  it("changes this person's name and shows the new one", async () => {
    render(Settings);
    expect((await screen.findByTestId("my-name")).textContent).toBe("Alice");
    await fireEvent.input(screen.getByTestId("rename-input"), { target: { value: " Alice B. " } });
    await fireEvent.click(screen.getByTestId("rename-submit"));
    await settle();

    expect(calls.find((c) => c.cmd === "set_name")?.args).toEqual({ name: "Alice B." });
    expect(screen.getByTestId("my-name").textContent).toBe("Alice B.");
  });

  it("refuses an empty name without asking the node", async () => {
    render(Settings);
    await fireEvent.input(await screen.findByTestId("rename-input"), { target: { value: "   " } });
    await fireEvent.click(screen.getByTestId("rename-submit"));
    await settle();

    expect(calls.some((c) => c.cmd === "set_name")).toBe(false);
    expect(screen.getByText("Please write a name.")).toBeTruthy();
  });

  it("makes a backup only with the same passphrase typed twice, and sends it to the node", async () => {
    render(Settings);
    const type = async (first: string, again: string) => {
      await fireEvent.input(await screen.findByTestId("backup-passphrase"), { target: { value: first } });
      await fireEvent.input(screen.getByTestId("backup-passphrase-again"), { target: { value: again } });
      await fireEvent.click(screen.getByTestId("backup-submit"));
      await settle();
    };
    await type("short", "short");
    expect(screen.getByText(/at least 8 characters/)).toBeTruthy();
    await type("tenants united", "tenants unite");
    expect(screen.getByText("The two passphrases differ.")).toBeTruthy();
    expect(calls.some((c) => c.cmd === "backup")).toBe(false);

    await type("tenants united", "tenants united");
    expect(calls.find((c) => c.cmd === "backup")?.args).toEqual({ passphrase: "tenants united" });
    expect(screen.getByRole("status").textContent).toContain("Mutual backup.age");
    expect((screen.getByTestId("backup-passphrase") as HTMLInputElement).value).toBe("");
  });
});
