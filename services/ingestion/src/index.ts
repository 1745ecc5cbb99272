export { ingestionService as serviceDefinition } from './ingestion.service-definition';
