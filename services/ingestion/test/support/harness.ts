import { startTestPlatform, type TestPlatform } from '@cdp/runtime';
import { ingestionService } from '../../src/ingestion.service-definition';

export type { TestTenant } from '@cdp/runtime';
export type IngestionHarness = TestPlatform;

/** Boots the ingestion service in this process, isolated for one test file (see startTestPlatform). */
export function startIngestion(env: Record<string, string> = {}): Promise<IngestionHarness> {
  return startTestPlatform([ingestionService], { label: 'ingest', env });
}
