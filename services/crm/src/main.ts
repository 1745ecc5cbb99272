import './instrument';
import { runMain } from '@cdp/runtime';
import { crmService } from './crm.service-definition';

void runMain([crmService], { mode: 'standalone' });
