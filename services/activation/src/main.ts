import './instrument';
import { runMain } from '@cdp/runtime';
import { activationService } from './activation.service-definition';

void runMain([activationService], { mode: 'standalone' });
