export { profileService as serviceDefinition } from './profile.service-definition';
