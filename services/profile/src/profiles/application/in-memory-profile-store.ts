import { cloneProfile, type ProfileState } from '../domain/profile-state';
import {
  type OwnedFact,
  type ProfileStore,
  type ProfileUnitOfWork,
  type ProfileUpdate,
} from './profile-store.port';

interface Workspace {
  readonly profiles: Map<string, ProfileState>;
  readonly facts: Map<string, OwnedFact>;
  readonly inbox: Set<string>;
  readonly updates: ProfileUpdate[];
}

/**
 * The store ports in memory with the production semantics (a transaction sees its own writes,
 * is serialised per workspace and rolls back on error). Used by the rebuild (scratch tables)
 * and the unit tests.
 */
export class InMemoryProfileStore implements ProfileStore {
  private readonly workspaces = new Map<string, Workspace>();
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param rollback copy the workspace at the start of each transaction so a failure leaves no
   * trace (tests); a rebuild, which throws away everything on failure, skips the O(n) copy.
   */
  constructor(private readonly rollback = true) {}

  workspace(workspaceId: string): Workspace {
    let ws = this.workspaces.get(workspaceId);
    if (!ws) {
      ws = { profiles: new Map(), facts: new Map(), inbox: new Set(), updates: [] };
      this.workspaces.set(workspaceId, ws);
    }
    return ws;
  }

  /** Live (not merged) profiles of a workspace. */
  liveProfiles(workspaceId: string): ProfileState[] {
    return [...this.workspace(workspaceId).profiles.values()].filter(
      (p) => p.mergedInto === undefined,
    );
  }

  transaction<T>(workspaceId: string, work: (uow: ProfileUnitOfWork) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => this.run(workspaceId, work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run<T>(
    workspaceId: string,
    work: (uow: ProfileUnitOfWork) => Promise<T>,
  ): Promise<T> {
    const live = this.workspace(workspaceId);
    // Copy-on-begin: the work mutates a copy that replaces the workspace only on success.
    const tx: Workspace = !this.rollback
      ? live
      : {
          profiles: new Map([...live.profiles].map(([id, p]) => [id, cloneProfile(p)])),
          facts: new Map(live.facts),
          inbox: new Set(live.inbox),
          updates: [...live.updates],
        };
    const uow: ProfileUnitOfWork = {
      claimMessage: (consumer, messageId) => {
        const key = `${consumer}\u0000${messageId}`;
        if (tx.inbox.has(key)) return Promise.resolve(false);
        tx.inbox.add(key);
        return Promise.resolve(true);
      },
      lock: (ids) => {
        const found = new Map<string, ProfileState>();
        for (const id of ids) {
          const p = tx.profiles.get(id);
          if (p) found.set(id, p);
        }
        return Promise.resolve(found);
      },
      claimFacts: (facts) => {
        const fresh = new Set<string>();
        for (const owned of facts) {
          if (tx.facts.has(owned.fact.messageId)) continue;
          tx.facts.set(owned.fact.messageId, owned);
          fresh.add(owned.fact.messageId);
        }
        return Promise.resolve(fresh);
      },
      factsOf: (profileIds) => {
        const ids = new Set(profileIds);
        return Promise.resolve([...tx.facts.values()].filter((f) => ids.has(f.profileId)));
      },
      assignFacts: (owners) => {
        for (const [messageId, profileId] of owners) {
          const owned = tx.facts.get(messageId);
          if (owned) tx.facts.set(messageId, { ...owned, profileId });
        }
        return Promise.resolve();
      },
      moveOwned: (from, to) => {
        for (const [id, owned] of tx.facts)
          if (owned.profileId === from) tx.facts.set(id, { ...owned, profileId: to });
        for (const p of tx.profiles.values()) if (p.mergedInto === from) p.mergedInto = to;
        return Promise.resolve();
      },
      save: (states, updates = []) => {
        for (const state of states) tx.profiles.set(state.id, state);
        tx.updates.push(...updates);
        return Promise.resolve();
      },
    };
    const result = await work(uow);
    this.workspaces.set(workspaceId, tx);
    return result;
  }
}
