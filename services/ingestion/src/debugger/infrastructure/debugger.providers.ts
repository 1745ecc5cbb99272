import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Namespace } from '@cdp/messaging';
import { NAMESPACE, NATS_CONNECTION } from '@cdp/runtime';
import { systemClock } from '@cdp/tenancy';
import { SourcesService } from '../../sources/application/sources.service';
import { BufferedEventDebugger } from '../application/buffered-event-debugger';
import { DEBUGGER_PEERS, type DebuggerPeers } from '../application/debugger-peers.port';
import { EVENT_DEBUGGER } from '../application/event-debugger.port';
import { SourceEventsQuery } from '../application/source-events.query';
import { NatsDebuggerPeers } from './nats-debugger-peers';

/** Stops answering other processes' debugger requests on shutdown. */
@Injectable()
export class DebuggerPeersLifecycle implements OnModuleDestroy {
  constructor(@Inject(DEBUGGER_PEERS) private readonly peers: NatsDebuggerPeers) {}

  onModuleDestroy(): void {
    this.peers.close();
  }
}

export const debuggerProviders: Provider[] = [
  { provide: BufferedEventDebugger, useFactory: () => new BufferedEventDebugger(systemClock) },
  { provide: EVENT_DEBUGGER, useExisting: BufferedEventDebugger },
  {
    provide: DEBUGGER_PEERS,
    useFactory: (nc: NatsConnection, namespace: Namespace, local: BufferedEventDebugger) => {
      const peers = new NatsDebuggerPeers(nc, namespace, local);
      peers.start();
      return peers;
    },
    inject: [NATS_CONNECTION, NAMESPACE, BufferedEventDebugger],
  },
  {
    provide: SourceEventsQuery,
    useFactory: (sources: SourcesService, local: BufferedEventDebugger, peers: DebuggerPeers) =>
      new SourceEventsQuery(sources, local, peers),
    inject: [SourcesService, BufferedEventDebugger, DEBUGGER_PEERS],
  },
  DebuggerPeersLifecycle,
];
