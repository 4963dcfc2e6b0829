// App-wide state: who is using this device, the groups, the network status, and which
// screen is open. Each part reloads only when told (by an action or a node event): the
// status on every event that can change who holds what (App.svelte), never by polling.
import {
  commands,
  type AdditionView,
  type GroupSummary,
  type Status,
  type WhoAmI,
} from "../bindings";
import { call, messageOf } from "./api";

/** The screens. There are no URLs in a desktop app: the route is plain state. */
export type Route =
  | { name: "home" }
  | { name: "group"; group: string }
  | { name: "doc"; group: string; doc: string }
  | { name: "settings" };

class Session {
  /** This device's person, once known. */
  me = $state<WhoAmI | null>(null);
  /** The groups of this device, in the order the node lists them. */
  groups = $state<GroupSummary[]>([]);
  groupsError = $state<string | null>(null);
  /** Groups someone added this device to, waiting for its owner to accept or ignore. */
  additions = $state<AdditionView[]>([]);
  /** The network: who is connected and in sync; null until first read. */
  status = $state<Status | null>(null);
  route = $state<Route>({ name: "home" });
  /**
   * Devices that held one of a group's invite codes and were shown who is in the group, as
   * this device's node reported them (kept until dismissed, for this run of the app). Every
   * join looks first: a group's home shows only those that are not members' devices.
   */
  looks = $state<{ group: string; peer: string; at: number }[]>([]);

  noteLook(groups: string[], peer: string): void {
    const at = Date.now();
    this.looks = [...this.looks, ...groups.map((group) => ({ group, peer, at }))];
  }

  dismissLooks(group: string): void {
    this.looks = this.looks.filter((look) => look.group !== group);
  }

  go(route: Route): void {
    this.route = route;
  }

  async reloadGroups(): Promise<void> {
    try {
      this.groups = await call(commands.groups());
      this.groupsError = null;
    } catch (e) {
      this.groupsError = messageOf(e);
    }
  }

  async reloadAdditions(): Promise<void> {
    try {
      this.additions = await call(commands.pendingAdditions());
    } catch (e) {
      this.groupsError = messageOf(e);
    }
  }

  #statusLoading: Promise<void> | null = null;
  #statusAgain = false;

  /**
   * Reads the status again. Node events come in bursts (a peer's typing): while one read is
   * under way, the calls meanwhile make one more read after it, not one each.
   */
  reloadStatus(): Promise<void> {
    if (this.#statusLoading) {
      this.#statusAgain = true;
      return this.#statusLoading;
    }
    const loading = (async () => {
      do {
        this.#statusAgain = false;
        try {
          this.status = await call(commands.status());
        } catch {
          // Offline or stopping: presence is simply unknown, which the screens show as offline.
          this.status = null;
        }
      } while (this.#statusAgain);
    })().finally(() => {
      this.#statusLoading = null;
    });
    this.#statusLoading = loading;
    return loading;
  }
}

export const session = new Session();
