import type { IngestionFeature } from '../ingestion-feature';
import { IMPORT_JOB_REPOSITORY } from './application/import-job.repository.port';
import { IMPORT_SOURCE_LOOKUP } from './application/import-source-lookup.port';
import { CreateImportJobUseCase } from './application/create-import-job.use-case';
import { ImportJobsQuery } from './application/import-jobs.query';
import { RunImportUseCase } from './application/run-import.use-case';
import { ImportJobPostgresRepository } from './infrastructure/import-job.postgres-repository';
import { CreateImportJobs1764000400000 } from './infrastructure/migrations/1764000400000-create-import-jobs';
import { SourcesTableSourceLookup } from './infrastructure/sources-table.source-lookup';
import { ImportBodyParsers } from './interface/http/import-body-parsers';
import { ImportsController } from './interface/http/imports.controller';

/** Bulk import of CSV / NDJSON files through the collector (see README "Bulk import"). */
export const importsFeature: IngestionFeature = {
  name: 'imports',
  roles: ['api'],
  controllers: [ImportsController],
  providers: [
    ImportBodyParsers,
    CreateImportJobUseCase,
    RunImportUseCase,
    ImportJobsQuery,
    { provide: IMPORT_JOB_REPOSITORY, useClass: ImportJobPostgresRepository },
    { provide: IMPORT_SOURCE_LOOKUP, useClass: SourcesTableSourceLookup },
  ],
  migrations: [CreateImportJobs1764000400000],
};
