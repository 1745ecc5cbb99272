import { createHash } from 'node:crypto';
import { PersistenceError } from '../persistence-error';

/** One versioned, forward-only ClickHouse migration (usually a `NNNN_name.sql` file). */
export interface ClickHouseMigration {
  version: number;
  /** Descriptive part of the file name (`0001_create_events.sql` → `create_events`). */
  name: string;
  /** File name, used in messages. */
  file: string;
  /** sha256 of the file text (line endings normalised): editing an applied migration is an error. */
  checksum: string;
  /** Statements in order, comments removed. */
  statements: string[];
}

export const MIGRATION_FILE_PATTERN = /^(\d+)_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

/**
 * Splits SQL text into statements on `;` outside string literals, quoted identifiers and
 * comments. Comments are dropped; statements that are empty after that are skipped.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  const flush = (): void => {
    const statement = current.trim();
    if (statement !== '') statements.push(statement);
    current = '';
  };
  while (i < sql.length) {
    const char = sql[i]!;
    const next = sql[i + 1];
    if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end; // keep the newline itself
      continue;
    }
    if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new PersistenceError('MIGRATION_INVALID', 'unterminated /* comment */');
      current += ' ';
      i = end + 2;
      continue;
    }
    if (char === "'" || char === '"' || char === '`') {
      // A quoted run: backslash escapes the next character; a doubled quote closes and reopens.
      let j = i + 1;
      while (j < sql.length && sql[j] !== char) j += sql[j] === '\\' ? 2 : 1;
      if (j >= sql.length)
        throw new PersistenceError('MIGRATION_INVALID', `unterminated ${char}-quoted text`);
      current += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (char === ';') {
      flush();
      i += 1;
      continue;
    }
    current += char;
    i += 1;
  }
  flush();
  return statements;
}

/** Content hash of a migration file (CRLF and trailing whitespace do not count). */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n').trimEnd()).digest('hex');
}

/** A migration from its file name (`NNNN_name.sql`) and text. */
export function parseClickHouseMigration(file: string, sql: string): ClickHouseMigration {
  const match = MIGRATION_FILE_PATTERN.exec(file);
  if (match === null) {
    throw new PersistenceError(
      'MIGRATION_INVALID',
      `ClickHouse migration file "${file}" must be named <version>_<name>.sql, e.g. 0001_create_events.sql`,
    );
  }
  let statements: string[];
  try {
    statements = splitSqlStatements(sql);
  } catch (error) {
    throw new PersistenceError(
      'MIGRATION_INVALID',
      `ClickHouse migration ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (statements.length === 0)
    throw new PersistenceError(
      'MIGRATION_INVALID',
      `ClickHouse migration ${file} contains no statement`,
    );
  return {
    version: Number(match[1]),
    name: match[2]!,
    file,
    checksum: migrationChecksum(sql),
    statements,
  };
}

/** Migrations sorted by version; two migrations with one version are an error. */
export function sortMigrations(migrations: readonly ClickHouseMigration[]): ClickHouseMigration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let k = 1; k < sorted.length; k += 1) {
    const previous = sorted[k - 1]!;
    const migration = sorted[k]!;
    if (previous.version === migration.version) {
      throw new PersistenceError(
        'MIGRATION_INVALID',
        `ClickHouse migrations ${previous.file} and ${migration.file} have the same version ${migration.version}`,
      );
    }
  }
  return sorted;
}
