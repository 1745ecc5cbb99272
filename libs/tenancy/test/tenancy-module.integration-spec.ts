import { ErrorFilter } from '@cdp/http';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type NatsConnection } from '@nats-io/transport-node';
import { type DataSource } from 'typeorm';
import {
  BootstrapWorkspaceUseCase,
  CurrentTenant,
  KeyVerifier,
  TenancyModule,
  type TenantContext,
} from '../src';
import { natsConnection, randomSuffix, TestDatabase } from './support/test-env';

const DATA_SOURCE = 'test.data-source';
const NATS = 'test.nats';

@Controller()
class WhoAmIController {
  @Get('v1/whoami')
  whoami(@CurrentTenant() tenant: TenantContext): TenantContext {
    return tenant;
  }
}

void describe('TenancyModule.forRootAsync (DataSource and NATS from other providers)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let nats: NatsConnection;
  let app: NestFastifyApplication;

  before(async () => {
    db = await TestDatabase.create();
    dataSource = await db.dataSource();
    nats = await natsConnection();

    @Module({
      providers: [
        { provide: DATA_SOURCE, useValue: dataSource },
        { provide: NATS, useValue: nats },
      ],
      exports: [DATA_SOURCE, NATS],
    })
    class InfraModule {}

    @Module({
      imports: [
        TenancyModule.forRootAsync({
          imports: [InfraModule],
          inject: [DATA_SOURCE, NATS],
          useFactory: (ds: DataSource, nc: NatsConnection) => ({
            dataSource: ds,
            nats: nc,
            namespace: `t${randomSuffix()}`,
          }),
          controllers: false,
        }),
      ],
      controllers: [WhoAmIController],
    })
    class AppModule {}

    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
      logger: false,
    });
    app.useGlobalFilters(new ErrorFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  after(async () => {
    await app.close();
    await nats.drain();
    await dataSource.destroy();
    await db.drop();
  });

  void it('wires the guard and services; controllers can be left out', async () => {
    const boot = await app.get(BootstrapWorkspaceUseCase).execute({ name: 'async' });
    const ok = await app.inject({
      method: 'GET',
      url: '/v1/whoami',
      headers: { authorization: `Bearer ${boot.plaintext}` },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json<TenantContext>().workspaceId, boot.workspace.id);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/whoami' })).statusCode, 401);
    const notMounted = await app.inject({
      method: 'GET',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${boot.plaintext}` },
    });
    assert.equal(notMounted.statusCode, 404);
    assert.ok(app.get(KeyVerifier) instanceof KeyVerifier);
  });
});
