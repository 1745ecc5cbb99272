export { rootLogger, createLogger, type Logger } from './logger';
export {
  metricsRegistry,
  httpRequestDuration,
  messagesConsumed,
  messageHandlerDuration,
  consumerLag,
  messagesPublished,
} from './metrics';
export { injectTraceContext, extractTraceContext, type HeaderCarrier } from './trace-context';
