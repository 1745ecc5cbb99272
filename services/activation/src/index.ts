export { activationService as serviceDefinition } from './activation.service-definition';
