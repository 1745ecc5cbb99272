import './instrument';
import { runMain } from '@cdp/runtime';
import { segmentationService } from './segmentation.service-definition';

void runMain([segmentationService], { mode: 'standalone' });
