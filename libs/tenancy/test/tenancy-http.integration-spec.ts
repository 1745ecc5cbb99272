import { ErrorFilter } from '@cdp/http';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type NatsConnection } from '@nats-io/transport-node';
import { type DataSource } from 'typeorm';
import {
  BootstrapWorkspaceUseCase,
  CurrentTenant,
  Public,
  RequireScopes,
  TenancyModule,
  type BootstrapWorkspaceResult,
  type TenantContext,
} from '../src';
import { natsConnection, randomSuffix, TestDatabase } from './support/test-env';

/** Stand-in for another service's routes, guarded by the global ApiKeyGuard. */
@Controller()
class SampleController {
  @Public()
  @Get('health/live')
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('v1/whoami')
  whoami(@CurrentTenant() tenant: TenantContext): TenantContext {
    return tenant;
  }

  @RequireScopes('profiles:read')
  @Get('v1/profiles')
  profiles(@CurrentTenant() tenant: TenantContext): { workspaceId: string; data: unknown[] } {
    return { workspaceId: tenant.workspaceId, data: [] };
  }
}

interface Reply {
  statusCode: number;
  headers: Record<string, unknown>;
  json<T = Record<string, unknown>>(): T;
}
interface ErrorReply {
  error: { code: string; message: string; details?: Record<string, unknown> };
}
interface KeyReply {
  id: string;
  key: string;
  status: string;
  scopes: string[];
  workspaceId: string;
  previous?: { id: string; status: string };
}

void describe('tenancy HTTP API (Nest + Fastify, real Postgres and NATS)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let nats: NatsConnection;
  let app: NestFastifyApplication;
  let a: BootstrapWorkspaceResult;
  let b: BootstrapWorkspaceResult;

  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    key?: string,
    body?: unknown,
    header = 'authorization',
  ): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (key !== undefined) headers[header] = header === 'authorization' ? `Bearer ${key}` : key;
    const response = await app.inject({
      method,
      url,
      headers,
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return {
      statusCode: response.statusCode,
      headers: response.headers,
      json: <T>() => response.json<T>(),
    };
  };

  /** Creates a key in A's workspace through the API with the given scopes. */
  const keyOfA = async (scopes: string[]): Promise<KeyReply> => {
    const reply = await call('POST', '/v1/api-keys', a.plaintext, {
      name: `k-${scopes.join('-')}`,
      scopes,
    });
    assert.equal(reply.statusCode, 201);
    return reply.json<KeyReply>();
  };

  before(async () => {
    db = await TestDatabase.create();
    dataSource = await db.dataSource();
    nats = await natsConnection();

    @Module({
      imports: [TenancyModule.register({ dataSource, nats, namespace: `t${randomSuffix()}` })],
      controllers: [SampleController],
    })
    class AppModule {}

    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
      logger: false,
    });
    app.useGlobalFilters(new ErrorFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();

    const bootstrap = app.get(BootstrapWorkspaceUseCase);
    a = await bootstrap.execute({ name: 'workspace A' });
    b = await bootstrap.execute({ name: 'workspace B' });
  });

  after(async () => {
    await app.close();
    await nats.drain();
    await dataSource.destroy();
    await db.drop();
  });

  void it('public routes need no key; every other route needs one (401 with a machine-readable body)', async () => {
    assert.equal((await call('GET', '/health/live')).statusCode, 200);
    for (const [method, url] of [
      ['GET', '/v1/whoami'],
      ['GET', '/v1/profiles'],
      ['GET', '/v1/workspaces'],
      ['GET', `/v1/workspaces/${a.workspace.id}`],
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys'],
      ['GET', `/v1/api-keys/${a.apiKey.id}`],
      ['POST', `/v1/api-keys/${a.apiKey.id}/rotate`],
      ['DELETE', `/v1/api-keys/${a.apiKey.id}`],
    ] as const) {
      const reply = await call(method, url);
      assert.equal(reply.statusCode, 401, `${method} ${url}`);
      assert.equal(reply.json<ErrorReply>().error.code, 'auth.missing_api_key');
      assert.equal(reply.headers['www-authenticate'], 'Bearer');
    }
    const bad = await call('GET', '/v1/whoami', 'cdp_sk_nope');
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.json<ErrorReply>().error.code, 'auth.invalid_api_key');
    const writeKey = await call('GET', '/v1/whoami', a.plaintext.replace('cdp_sk_', 'cdp_wk_'));
    assert.equal(
      writeKey.statusCode,
      401,
      'a source write key never authenticates a management route',
    );
  });

  void it('accepts Bearer and x-api-key; a route without scopes accepts any valid key', async () => {
    const reader = await keyOfA(['crm:read']);
    const viaBearer = await call('GET', '/v1/whoami', reader.key);
    assert.equal(viaBearer.statusCode, 200);
    assert.deepEqual(viaBearer.json(), {
      workspaceId: a.workspace.id,
      keyId: reader.id,
      scopes: ['crm:read'],
    });
    assert.equal(
      (await call('GET', '/v1/whoami', reader.key, undefined, 'x-api-key')).statusCode,
      200,
    );
  });

  void it('a key without the required scope gets 403; write implies read; admin implies all', async () => {
    const crmReader = await keyOfA(['crm:read']);
    for (const [method, url] of [
      ['GET', '/v1/profiles'],
      ['GET', '/v1/api-keys'],
      ['GET', `/v1/workspaces/${a.workspace.id}`],
      ['POST', '/v1/api-keys'],
      ['DELETE', `/v1/api-keys/${a.apiKey.id}`],
    ] as const) {
      const reply = await call(
        method,
        url,
        crmReader.key,
        method === 'POST' ? { name: 'x', scopes: ['crm:read'] } : undefined,
      );
      assert.equal(reply.statusCode, 403, `${method} ${url}`);
      assert.equal(reply.json<ErrorReply>().error.code, 'auth.missing_scope');
    }
    const profilesWriter = await keyOfA(['profiles:write']);
    assert.equal((await call('GET', '/v1/profiles', profilesWriter.key)).statusCode, 200);
    assert.equal((await call('GET', '/v1/profiles', a.plaintext)).statusCode, 200);
  });

  void it("a key of workspace A gets 404 on workspace B's resources on every route", async () => {
    const own = await call('GET', `/v1/workspaces/${a.workspace.id}`, a.plaintext);
    assert.equal(own.statusCode, 200);
    assert.equal(own.json<{ name: string }>().name, 'workspace A');

    const routes = [
      ['GET', `/v1/workspaces/${b.workspace.id}`],
      ['GET', `/v1/api-keys/${b.apiKey.id}`],
      ['POST', `/v1/api-keys/${b.apiKey.id}/rotate`],
      ['DELETE', `/v1/api-keys/${b.apiKey.id}`],
    ] as const;
    for (const [method, url] of routes) {
      const reply = await call(method, url, a.plaintext);
      assert.equal(reply.statusCode, 404, `${method} ${url}`);
      assert.match(reply.json<ErrorReply>().error.code, /not_found$/);
    }
    // Same answer as for ids that do not exist at all: existence is never revealed.
    assert.equal(
      (await call('GET', `/v1/workspaces/00000000-0000-4000-8000-000000000000`, a.plaintext))
        .statusCode,
      404,
    );
    assert.equal((await call('GET', `/v1/workspaces/not-a-uuid`, a.plaintext)).statusCode, 404);
    assert.equal(
      (await call('GET', `/v1/api-keys/${'0'.repeat(24)}`, a.plaintext)).statusCode,
      404,
    );

    const listA = await call('GET', '/v1/workspaces', a.plaintext);
    assert.deepEqual(
      listA.json<{ data: { id: string }[] }>().data.map((w) => w.id),
      [a.workspace.id],
    );
    const keysOfA = await call('GET', '/v1/api-keys', a.plaintext);
    assert.ok(
      keysOfA.json<{ data: KeyReply[] }>().data.every((k) => k.workspaceId === a.workspace.id),
    );

    // B's key was neither rotated nor revoked by A's attempts.
    const stillB = await call('GET', `/v1/api-keys/${b.apiKey.id}`, b.plaintext);
    assert.equal(stillB.statusCode, 200);
    assert.equal(stillB.json<KeyReply>().status, 'active');
    assert.equal((await call('GET', '/v1/whoami', b.plaintext)).statusCode, 200);
  });

  void it('creates a key (plaintext once), lists without secrets, rotates and revokes over HTTP', async () => {
    const created = await keyOfA(['segments:write']);
    assert.match(created.key, /^cdp_sk_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$/);
    const fetched = await call('GET', `/v1/api-keys/${created.id}`, a.plaintext);
    assert.equal(fetched.statusCode, 200);
    const listed = JSON.stringify((await call('GET', '/v1/api-keys', a.plaintext)).json());
    assert.ok(
      !listed.includes(created.key.slice(32)) &&
        !listed.includes('secretHash') &&
        !('key' in fetched.json()),
    );

    const rotated = await call('POST', `/v1/api-keys/${created.id}/rotate`, a.plaintext, {
      gracePeriodSeconds: 3600,
    });
    assert.equal(rotated.statusCode, 201);
    const successor = rotated.json<KeyReply>();
    assert.equal(successor.previous?.status, 'rotated');
    assert.equal((await call('GET', '/v1/whoami', successor.key)).statusCode, 200);
    assert.equal(
      (await call('GET', '/v1/whoami', created.key)).statusCode,
      200,
      'old key valid during grace',
    );

    const noGrace = await call('POST', `/v1/api-keys/${successor.id}/rotate`, a.plaintext, {
      gracePeriodSeconds: 0,
    });
    assert.equal(noGrace.statusCode, 201);
    assert.equal(
      (await call('GET', '/v1/whoami', successor.key)).json<ErrorReply>().error.code,
      'auth.api_key_expired',
    );

    const third = noGrace.json<KeyReply>();
    const revoked = await call('DELETE', `/v1/api-keys/${third.id}`, a.plaintext);
    assert.equal(revoked.statusCode, 200);
    assert.equal(revoked.json<KeyReply>().status, 'revoked');
    const after = await call('GET', '/v1/whoami', third.key);
    assert.equal(after.statusCode, 401);
    assert.equal(after.json<ErrorReply>().error.code, 'auth.api_key_revoked');
  });

  void it('a bad body is a 400 naming the field; a key cannot mint broader scopes (403)', async () => {
    const cases: [unknown, string][] = [
      [{ scopes: ['crm:read'] }, 'name'],
      [{ name: 'x', scopes: ['crm:delete'] }, 'scopes.0'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: ['crm:read'], expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', scopes: ['crm:read'], scope: 'typo' }, '(body)'],
    ];
    for (const [body, field] of cases) {
      const reply = await call('POST', '/v1/api-keys', a.plaintext, body);
      assert.equal(reply.statusCode, 400, JSON.stringify(body));
      const error = reply.json<ErrorReply>().error;
      assert.equal(error.code, 'request.invalid');
      const fields = (error.details?.issues as { field: string }[]).map((i) => i.field);
      assert.ok(fields.includes(field), `${JSON.stringify(body)} → ${fields.join(',')}`);
    }
    const badGrace = await call('POST', `/v1/api-keys/${a.apiKey.id}/rotate`, a.plaintext, {
      gracePeriodSeconds: -1,
    });
    assert.equal(badGrace.statusCode, 400);

    const manager = await keyOfA(['keys:write']);
    const escalate = await call('POST', '/v1/api-keys', manager.key, {
      name: 'root',
      scopes: ['admin'],
    });
    assert.equal(escalate.statusCode, 403);
    assert.equal(escalate.json<ErrorReply>().error.code, 'api_key.scope_escalation');
  });

  void it('documents the routes in OpenAPI with bearer auth', () => {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder().addBearerAuth().build(),
    );
    assert.ok(document.paths['/v1/api-keys']?.post);
    assert.ok(document.paths['/v1/api-keys/{id}/rotate']?.post);
    assert.ok(document.paths['/v1/workspaces/{workspaceId}']?.get);
    assert.deepEqual(document.paths['/v1/api-keys']?.get?.security, [{ bearer: [] }]);
    assert.ok(document.components?.schemas?.['IssuedApiKeyDto']);
  });
});
