import './instrument';
import { runMain } from '@cdp/runtime';
import { profileService } from './profile.service-definition';

void runMain([profileService], { mode: 'standalone' });
