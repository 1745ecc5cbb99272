export * from './streams';
export * from './errors';
export * from './envelope';
// Generated from proto/ (npx buf generate proto --template proto/buf.gen.yaml). Message names are
// unique across packages, so flat re-exports cannot clash (tsc reports TS2308 if they ever do).
export * from './gen/cdp/common/v1/actor_pb';
export * from './gen/cdp/common/v1/envelope_pb';
export * from './gen/cdp/common/v1/identifier_pb';
export * from './gen/cdp/ingestion/v1/event_pb';
export * from './gen/cdp/identity/v1/events_pb';
export * from './gen/cdp/profile/v1/events_pb';
export * from './gen/cdp/segmentation/v1/events_pb';
export * from './gen/cdp/crm/v1/events_pb';
export * from './gen/cdp/privacy/v1/events_pb';
