import { CreateIdentityGraph1764100000000 } from './migrations/1764100000000-create-identity-graph';
import { CreateIdentitySplits1764100000001 } from './migrations/1764100000001-create-identity-splits';
import { IdentifierProfileWithoutForeignKey1764100000002 } from './migrations/1764100000002-identifier-profile-without-foreign-key';
import { CreateWorkspaceConfigs1764100000003 } from './migrations/1764100000003-create-workspace-configs';
import { CreateSeparations1764100000004 } from './migrations/1764100000004-create-separations';

/** Postgres migrations of schema `identity` (after the inbox), in order. */
export const IDENTITY_MIGRATIONS = [
  CreateIdentityGraph1764100000000,
  CreateIdentitySplits1764100000001,
  IdentifierProfileWithoutForeignKey1764100000002,
  CreateWorkspaceConfigs1764100000003,
  CreateSeparations1764100000004,
];
