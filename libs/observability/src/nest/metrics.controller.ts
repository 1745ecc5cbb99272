import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { metricsRegistry } from '../metrics';
import { Public } from './public-route';

/** Prometheus text exposition of the process registry (every hosted service, one scrape). */
@Public()
@Controller({ version: VERSION_NEUTRAL })
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', metricsRegistry.contentType)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
