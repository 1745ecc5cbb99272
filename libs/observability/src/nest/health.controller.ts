import { Controller, Get, Header, Inject, Res, VERSION_NEUTRAL } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthRegistry, type ReadinessReport } from './health-registry';
import { Public } from './public-route';

/**
 * Process-wide probes. `live` only says the event loop answers (restart when it does not);
 * `ready` says whether every registered dependency check passes (route traffic when it does).
 */
@Public()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(@Inject(HealthRegistry) private readonly registry: HealthRegistry) {}

  @Get('live')
  @Header('Cache-Control', 'no-store')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.registry.check();
    void reply.status(report.status === 'ready' ? 200 : 503);
    return report;
  }
}
