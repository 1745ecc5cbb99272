import { CreateCrmEventStore1764300000000 } from './migrations/1764300000000-create-crm-event-store';
import { CreateCdpView1764300000001 } from './migrations/1764300000001-create-cdp-view';

/** Postgres migrations of schema `crm` (after the inbox), in order. */
export const CRM_MIGRATIONS = [CreateCrmEventStore1764300000000, CreateCdpView1764300000001];
