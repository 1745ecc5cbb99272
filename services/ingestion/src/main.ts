import './instrument';
import { runMain } from '@cdp/runtime';
import { ingestionService } from './ingestion.service-definition';

void runMain([ingestionService], { mode: 'standalone' });
