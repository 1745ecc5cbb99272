import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import type { ImportJob, RowRejection } from '../domain/import-job';
import { IMPORT_JOB_REPOSITORY, type ImportJobRepository } from './import-job.repository.port';

/** Reads jobs of the caller's workspace; another workspace's job is not found. */
@Injectable()
export class ImportJobsQuery {
  constructor(@Inject(IMPORT_JOB_REPOSITORY) private readonly jobs: ImportJobRepository) {}

  async get(
    workspaceId: string,
    id: string,
    rejections: { afterLine: number; limit: number },
  ): Promise<{ job: ImportJob; rejections: RowRejection[] }> {
    const job = await this.jobs.find(workspaceId, id);
    if (!job) throw new DomainError('not_found', 'import.not_found', `import ${id} not found`);
    return {
      job,
      rejections:
        rejections.limit === 0
          ? []
          : await this.jobs.rejections(workspaceId, id, rejections.afterLine, rejections.limit),
    };
  }

  list(workspaceId: string, limit: number): Promise<ImportJob[]> {
    return this.jobs.list(workspaceId, limit);
  }
}
