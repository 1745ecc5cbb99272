import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The Postgres schema shared by every service for workspaces and keys. */
export const TENANCY_SCHEMA = 'tenancy';

@Entity({ schema: TENANCY_SCHEMA, name: 'workspaces' })
export class WorkspaceEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { unique: true })
  name!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

@Entity({ schema: TENANCY_SCHEMA, name: 'api_keys' })
@Index('api_keys_workspace_idx', ['workspaceId', 'createdAt'])
export class ApiKeyEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('uuid', { name: 'workspace_id' })
  workspaceId!: string;

  @Column('text')
  name!: string;

  @Column('text', { array: true })
  scopes!: string[];

  @Column('text', { name: 'secret_hash' })
  secretHash!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @Column('timestamptz', { name: 'rotated_at', nullable: true })
  rotatedAt!: Date | null;

  @Column('timestamptz', { name: 'grace_until', nullable: true })
  graceUntil!: Date | null;

  @Column('text', { name: 'replaced_by', nullable: true })
  replacedBy!: string | null;

  @Column('text', { name: 'rotated_from', nullable: true })
  rotatedFrom!: string | null;
}

export const TENANCY_ENTITIES = [WorkspaceEntity, ApiKeyEntity] as const;
