import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  Module,
  Param,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthRegistry, ObservabilityModule, PinoNestLogger, PUBLIC_ROUTE_KEY } from '../src';

/** Stands in for the tenancy guard: everything needs a key unless marked public. */
@Injectable()
class RequireKeyGuard implements CanActivate {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {}
  canActivate(ctx: ExecutionContext): boolean {
    if (
      this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE_KEY, [
        ctx.getHandler(),
        ctx.getClass(),
      ])
    )
      return true;
    const request = ctx
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined> }>();
    if (request.headers['x-api-key'] !== 'secret') throw new UnauthorizedException();
    return true;
  }
}

@Controller('v1/items')
class ItemsController {
  @Get(':id')
  get(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Module({ controllers: [ItemsController] })
class ItemsModule {}

void describe('ObservabilityModule over fastify', () => {
  const health = new HealthRegistry({ timeoutMs: 200 });
  let postgresUp = false;
  let app: NestFastifyApplication;
  let base: string;

  before(async () => {
    health
      .forService('items')
      .register('postgres', () =>
        postgresUp
          ? Promise.resolve()
          : Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:5432')),
      );
    health.forService('items').register('nats', () => Promise.resolve());

    @Module({
      imports: [ObservabilityModule.forRoot({ health }), ItemsModule],
      providers: [{ provide: APP_GUARD, useClass: RequireKeyGuard }],
    })
    class RootModule {}

    app = await NestFactory.create<NestFastifyApplication>(RootModule, new FastifyAdapter(), {
      logger: new PinoNestLogger(),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = await app.getUrl();
  });

  after(async () => {
    await app?.close();
  });

  void it('GET /health/live answers 200 without credentials', async () => {
    const response = await fetch(`${base}/health/live`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  void it('GET /health/ready answers 503 with the failing check and its error', async () => {
    postgresUp = false;
    const response = await fetch(`${base}/health/ready`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string; error?: string }>;
    };
    assert.equal(body.status, 'not_ready');
    assert.equal(body.checks['items.postgres']?.status, 'down');
    assert.equal(body.checks['items.postgres']?.error, 'connect ECONNREFUSED 10.0.0.1:5432');
    assert.equal(body.checks['items.nats']?.status, 'up');
  });

  void it('GET /health/ready answers 200 once every check passes', async () => {
    postgresUp = true;
    const response = await fetch(`${base}/health/ready`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as {
      status: string;
      checks: Record<string, { status: string; latencyMs: number }>;
    };
    assert.equal(body.status, 'ready');
    assert.deepEqual(Object.keys(body.checks).sort(), ['items.nats', 'items.postgres']);
    for (const check of Object.values(body.checks)) {
      assert.equal(check.status, 'up');
      assert.equal(typeof check.latencyMs, 'number');
    }
  });

  void it('GET /metrics exposes http_request_duration_seconds by route template, guard rejections included', async () => {
    assert.equal(
      (await fetch(`${base}/v1/items/42`, { headers: { 'x-api-key': 'secret' } })).status,
      200,
    );
    assert.equal(
      (await fetch(`${base}/v1/items/43`, { headers: { 'x-api-key': 'secret' } })).status,
      200,
    );
    assert.equal((await fetch(`${base}/v1/items/44`)).status, 401);
    assert.equal((await fetch(`${base}/no/such/path/${Math.random()}`)).status, 404);

    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();

    assert.match(
      text,
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/items\/:id",status="200"\} 2/,
    );
    assert.match(
      text,
      /http_request_duration_seconds_count\{method="GET",route="\/v1\/items\/:id",status="401"\} 1/,
    );
    assert.match(
      text,
      /http_request_duration_seconds_count\{method="GET",route="unmatched",status="404"\} 1/,
    );
    assert.match(text, /route="\/health\/ready",status="503"/);
    assert.doesNotMatch(text, /route="\/v1\/items\/4\d"/, 'raw URLs never become labels');
    assert.match(text, /readiness_check_up\{check="items.postgres"\} 1/);
    assert.match(text, /process_cpu_seconds_total/);
  });

  void it('reports not ready once the application starts shutting down', async () => {
    await app.close();
    const report = await health.check();
    assert.equal(report.status, 'not_ready');
    assert.equal(report.draining, true);
  });
});
