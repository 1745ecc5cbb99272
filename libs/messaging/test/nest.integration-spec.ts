import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DomainError, STREAMS } from '@cdp/contracts';
import {
  EventPublisher,
  JetStreamContext,
  JetStreamExceptionFilter,
  JetStreamServer,
  QueryClient,
  QueryContext,
  deadLetterSubject,
} from '../src';
import { connect, deleteStreams, testNamespace, waitFor } from './support';

const ns = testNamespace();
const merges: Array<{ payload: unknown; subject: string; workspaceId: string | undefined }> = [];

@Controller()
class ProfileMergesConsumer {
  @EventPattern('cdp.identity.profile.merged.v1.*', {
    durable: 'nest-merges',
    concurrency: 4,
    maxDeliver: 3,
    backoffMs: 20,
  })
  onMerged(
    @Payload() payload: { from: string; to: string },
    @Ctx() ctx: JetStreamContext,
  ): Promise<void> {
    if (payload.from === 'bad')
      return Promise.reject(
        new DomainError('invalid', 'merge.invalid', 'cannot merge into itself'),
      );
    merges.push({ payload, subject: ctx.subject, workspaceId: ctx.workspaceId });
    return Promise.resolve();
  }

  @MessagePattern('cdp.query.profile.count.v1')
  count(
    @Payload() payload: { workspace: string },
    @Ctx() ctx: QueryContext,
  ): { count: number; workspace: string | undefined } {
    if (payload.workspace === 'none')
      throw new DomainError('not_found', 'workspace.not_found', 'unknown workspace');
    return { count: merges.length, workspace: ctx.workspaceId };
  }
}

@Module({ controllers: [ProfileMergesConsumer] })
class TestModule {}

let app: INestMicroservice;
let nc: NatsConnection;

before(async () => {
  nc = await connect('nest-spec');
  const strategy = new JetStreamServer({
    connection: await connect('nest-app'),
    namespace: ns,
    lagPollMs: 0,
    fetchExpiresMs: 1000,
  });
  app = await NestFactory.createMicroservice<MicroserviceOptions>(TestModule, {
    strategy,
    logger: false,
  });
  app.useGlobalFilters(new JetStreamExceptionFilter());
  await app.listen();
});

after(async () => {
  await app.close();
  await nc.close();
  await deleteStreams(ns);
});

void test('@EventPattern handlers receive payload and context through Nest', async () => {
  const publisher = new EventPublisher(nc, ns);
  await publisher.publish(
    'cdp.identity.profile.merged.v1.ws7',
    { from: 'p1', to: 'p2' },
    { messageId: 'mg-1', workspaceId: 'ws7', schema: 's' },
  );
  await waitFor(() => merges.length === 1, 5000, 'the merge');
  assert.deepEqual(merges[0], {
    payload: { from: 'p1', to: 'p2' },
    subject: 'cdp.identity.profile.merged.v1.ws7',
    workspaceId: 'ws7',
  });
});

void test('a non-retryable DomainError thrown through Nest dead-letters with its message', async () => {
  const publisher = new EventPublisher(nc, ns);
  await publisher.publish(
    'cdp.identity.profile.merged.v1.ws7',
    { from: 'bad', to: 'bad' },
    { messageId: 'mg-2', workspaceId: 'ws7', schema: 's' },
  );
  const jsm = await jetstreamManager(nc);
  const subject = ns.subject(deadLetterSubject('nest-merges'));
  await waitFor(
    async () =>
      ((await jsm.streams.info(ns.stream(STREAMS.deadletter.name), { subjects_filter: subject }))
        .state.subjects?.[subject] ?? 0) === 1,
    5000,
    'the dead letter',
  );
  const dlq = await jsm.streams.getMessage(ns.stream(STREAMS.deadletter.name), {
    last_by_subj: subject,
  });
  assert.equal(dlq?.header.get('cdp-dlq-error'), 'cannot merge into itself');
  assert.equal(dlq?.header.get('cdp-dlq-deliveries'), '1');
});

void test('@MessagePattern handlers answer queries, errors included', async () => {
  const client = new QueryClient(nc, ns);
  const answer = await client.request<{ count: number; workspace: string }>(
    'cdp.query.profile.count.v1',
    { workspace: 'ws7' },
    { workspaceId: 'ws7' },
  );
  assert.equal(answer.workspace, 'ws7');
  assert.ok(answer.count >= 1);
  await assert.rejects(
    client.request('cdp.query.profile.count.v1', { workspace: 'none' }),
    (e: unknown) =>
      e instanceof DomainError && e.kind === 'not_found' && e.code === 'workspace.not_found',
  );
});
