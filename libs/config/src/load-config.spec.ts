import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, describeEnv, loadConfig } from './load-config';
import { baseEnv, port, clickhouseEnv } from './env';

const schema = z.object({ ...baseEnv, ...clickhouseEnv, PORT: port(8080) });

test('defaults make a zero-configuration local run possible', () => {
  const config = loadConfig(schema, {});
  assert.equal(config.NATS_URL, 'nats://127.0.0.1:4222');
  assert.equal(config.DATABASE_URL, 'postgres://root@127.0.0.1:5432/cdp');
  assert.equal(config.CLICKHOUSE_URL, 'chdb://./.data/clickhouse');
  assert.equal(config.PORT, 8080);
});

test('a bad value fails with the variable name and what is expected', () => {
  assert.throws(
    () => loadConfig(schema, { PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const variables = error.problems.map((p) => p.variable).sort();
      assert.deepEqual(variables, ['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
      assert.match(error.message, /PORT: expected a TCP port number/);
      assert.match(
        error.message,
        /DATABASE_URL: expected a URL with scheme postgres:\/\/ or postgresql:\/\//,
      );
      assert.match(error.message, /LOG_LEVEL: expected one of/);
      return true;
    },
  );
});

test('describeEnv lists every variable and whether it must be set', () => {
  const described = describeEnv(
    z.object({ A: z.string(), B: z.string().default('x'), C: z.string().optional(), D: port(80) }),
  );
  assert.deepEqual(described, [
    { name: 'A', required: true },
    { name: 'B', required: false, defaultValue: 'x' },
    { name: 'C', required: false },
    { name: 'D', required: false, defaultValue: '80' },
  ]);
});
