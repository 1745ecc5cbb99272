export * from './streams';
export * from './errors';
