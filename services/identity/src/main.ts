import './instrument';
import { runMain } from '@cdp/runtime';
import { identityService } from './identity.service-definition';

void runMain([identityService], { mode: 'standalone' });
