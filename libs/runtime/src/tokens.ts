/** Injection tokens for what the runtime hands to every service module. */
export const POSTGRES = Symbol.for('cdp.postgres');
export const CLICKHOUSE = Symbol.for('cdp.clickhouse');
export const NATS_CONNECTION = Symbol.for('cdp.nats');
export const NAMESPACE = Symbol.for('cdp.namespace');
export const SERVICE_CONFIG = Symbol.for('cdp.config');
