export { identityService as serviceDefinition } from './identity.service-definition';
