export { segmentationService as serviceDefinition } from './segmentation.service-definition';
