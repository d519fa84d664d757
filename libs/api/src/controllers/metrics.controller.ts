import { Controller, Header } from '@nestjs/common';
import { API_ROUTES } from '@accord/contracts';
import { AccordMetrics } from '@accord/telemetry';
import { Route } from '../api-route.decorator';

@Controller()
export class MetricsController {
  constructor(private readonly metrics: AccordMetrics) {}

  @Route(API_ROUTES.metrics)
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
