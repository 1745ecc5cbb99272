import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger, Level } from 'pino';
import { rootLogger } from '../logger';

const PINO_LEVEL: Record<LogLevel, Level> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};
const SEVERITY: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/**
 * Nest's `LoggerService` on top of the root pino logger, so framework lines (module init, route
 * mapping, unhandled exceptions) are JSON with trace ids like ours. Nest's `context` becomes
 * the `component` field. Pass it as `NestFactory.create(module, adapter, { logger: new PinoNestLogger() })`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger = rootLogger()) {}

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams, true);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams, true);
  }

  /** Nest passes the enabled levels; pino has a threshold, so the least severe one wins. */
  setLogLevels(levels: LogLevel[]): void {
    const lowest = SEVERITY.find((level) => levels.includes(level));
    this.logger.level = lowest ? PINO_LEVEL[lowest] : 'silent';
  }

  private write(level: Level, message: unknown, params: unknown[], mayHaveStack = false): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const rest = [...params];
    // Nest appends its context (the class that logs) as the last string argument.
    const component =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string'
        ? (rest.pop() as string)
        : undefined;
    const fields: Record<string, unknown> = component ? { component } : {};
    if (mayHaveStack && typeof rest[0] === 'string' && rest[0].includes('\n'))
      fields.stack = rest.shift();
    if (rest.length > 0) fields.details = rest.length === 1 ? rest[0] : rest;

    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else {
      this.logger[level](fields, String(message));
    }
  }
}
