import type { IngestionFeature } from '../ingestion-feature';
import { CreateSources1764000201000 } from './infrastructure/migrations/1764000201000-create-sources';
import { sourcesProviders } from './infrastructure/sources.providers';
import { SourcesController } from './interface/http/sources.controller';
import { SourceKindQueryController } from './interface/messaging/source-kind.query';

/** Sources, their write keys and the WRITE_KEY_VERIFIER of the collection hot path. */
export const sourcesFeature: IngestionFeature = {
  name: 'sources',
  roles: ['api'],
  controllers: [SourcesController, SourceKindQueryController],
  providers: sourcesProviders,
  migrations: [CreateSources1764000201000],
};
