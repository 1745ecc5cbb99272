export { crmService as serviceDefinition } from './crm.service-definition';
