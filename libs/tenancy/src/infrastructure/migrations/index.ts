import { CreateTenancySchema1763900000000 } from './1763900000000-create-tenancy-schema';

/** Run by the caller's DataSource (`migrations: [...TENANCY_MIGRATIONS]`); idempotent across services. */
export const TENANCY_MIGRATIONS = [CreateTenancySchema1763900000000] as const;
export { CreateTenancySchema1763900000000 };
