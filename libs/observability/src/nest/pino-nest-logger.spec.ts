import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { PinoNestLogger } from './pino-nest-logger';

function capture(): { logger: PinoNestLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = new PinoNestLogger(
    pino({ level: 'trace', formatters: { level: (label) => ({ level: label }) } }, stream),
  );
  return { logger, lines };
}

void test("Nest's context becomes the component field", () => {
  const { logger, lines } = capture();
  logger.log('Mapped {/health/live, GET} route', 'RouterExplorer');
  assert.equal(lines[0]?.level, 'info');
  assert.equal(lines[0]?.component, 'RouterExplorer');
  assert.equal(lines[0]?.msg, 'Mapped {/health/live, GET} route');
});

void test('error(message, stack, context) keeps the stack as a field', () => {
  const { logger, lines } = capture();
  logger.error('boom', 'Error: boom\n    at x (y.js:1:1)', 'ExceptionsHandler');
  assert.equal(lines[0]?.level, 'error');
  assert.equal(lines[0]?.component, 'ExceptionsHandler');
  assert.match(String(lines[0]?.stack), /at x/);
});

void test('an Error message is serialised as err; objects become fields', () => {
  const { logger, lines } = capture();
  logger.error(new Error('kaput'), 'Ctx');
  logger.warn({ route: '/a', attempts: 2 }, 'Ctx');
  logger.verbose('fine detail');
  assert.equal((lines[0]?.err as { message: string }).message, 'kaput');
  assert.equal(lines[1]?.route, '/a');
  assert.equal(lines[2]?.level, 'trace');
});

void test('setLogLevels keeps the least severe enabled level', () => {
  const { logger, lines } = capture();
  logger.setLogLevels(['warn', 'error']);
  logger.log('hidden');
  logger.warn('shown');
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['shown'],
  );
});
