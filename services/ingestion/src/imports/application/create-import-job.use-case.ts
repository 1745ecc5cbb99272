import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import type { CsvMappingSpec, ImportFormat, ImportJob } from '../domain/import-job';
import { IMPORT_JOB_REPOSITORY, type ImportJobRepository } from './import-job.repository.port';
import { IMPORT_SOURCE_LOOKUP, type ImportSourceLookup } from './import-source-lookup.port';

export interface CreateImportJobCommand {
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly format: ImportFormat;
  readonly mapping?: CsvMappingSpec;
}

/** Registers an import of a file into a source of the caller's workspace (status `queued`). */
@Injectable()
export class CreateImportJobUseCase {
  constructor(
    @Inject(IMPORT_JOB_REPOSITORY) private readonly jobs: ImportJobRepository,
    @Inject(IMPORT_SOURCE_LOOKUP) private readonly sources: ImportSourceLookup,
  ) {}

  async execute(command: CreateImportJobCommand): Promise<ImportJob> {
    if (command.mapping !== undefined && command.format !== 'csv')
      throw new DomainError('invalid', 'import.mapping_not_csv', 'a mapping applies to CSV only', {
        issues: [{ field: 'mapping', message: 'only for format csv' }],
      });
    if (!(await this.sources.exists(command.workspaceId, command.sourceId)))
      throw new DomainError(
        'not_found',
        'source.not_found',
        `source ${command.sourceId} not found`,
        {
          issues: [{ field: 'sourceId', message: 'no such source in this workspace' }],
        },
      );
    return this.jobs.create({
      workspaceId: command.workspaceId,
      sourceId: command.sourceId,
      format: command.format,
      mapping: command.mapping ?? null,
    });
  }
}
