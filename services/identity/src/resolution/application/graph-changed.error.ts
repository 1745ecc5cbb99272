import { DomainError } from '@cdp/contracts';

/** A profile changed between snapshot and apply (a concurrent merge): retry the resolution. */
export class GraphChangedError extends DomainError {
  constructor(profileId: string) {
    super('conflict', 'identity.graph_changed', `profile ${profileId} changed concurrently`, {
      profileId,
    });
    this.name = 'GraphChangedError';
  }
}
