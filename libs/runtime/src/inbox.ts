import type { EntityManager, MigrationInterface, QueryRunner, DataSource } from 'typeorm';

/**
 * The inbox makes a handler's side effects idempotent: a message id is claimed in the same
 * transaction as the effects, so a redelivered message finds its claim and changes nothing.
 */
export function inboxMigration(schema: string, timestamp: number): new () => MigrationInterface {
  const name = `CreateInbox${schema.replace(/(^|_)(\w)/g, (_m, _u: string, c: string) => c.toUpperCase())}${timestamp}`;
  const migration = class implements MigrationInterface {
    name = name;
    async up(runner: QueryRunner): Promise<void> {
      await runner.query(`CREATE TABLE IF NOT EXISTS "${schema}"."inbox" (
        consumer text NOT NULL,
        workspace_id text NOT NULL,
        message_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, workspace_id, message_id)
      )`);
      await runner.query(
        `CREATE INDEX IF NOT EXISTS inbox_processed_at ON "${schema}"."inbox" (processed_at)`,
      );
    }
    async down(runner: QueryRunner): Promise<void> {
      await runner.query(`DROP TABLE IF EXISTS "${schema}"."inbox"`);
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}

/**
 * Runs `work` once per (consumer, workspace, message id): returns false without running it when
 * the message was already processed. Work and claim commit together.
 */
export async function processOnce(
  dataSource: DataSource,
  claim: { consumer: string; workspaceId: string; messageId: string },
  work: (manager: EntityManager) => Promise<void>,
): Promise<boolean> {
  return dataSource.transaction(async (manager) => {
    const rows: unknown[] = await manager.query(
      `INSERT INTO inbox (consumer, workspace_id, message_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [claim.consumer, claim.workspaceId, claim.messageId],
    );
    if (rows.length === 0) return false;
    await work(manager);
    return true;
  });
}
