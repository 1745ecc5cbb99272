export * from './scopes';
export * from './api-key-format';
export * from './key-hash';
export * from './api-key';
export * from './workspace';
export * from './verification-cache';
