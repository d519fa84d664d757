import { Controller } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { API_ROUTES } from '@accord/contracts';
import { Route } from '../api-route.decorator';

/** What readiness depends on; the app binds it to its real connections. */
export abstract class ReadinessProbe {
  abstract postgres(): Promise<void>;
  abstract redis(): Promise<void>;
}

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly probe: ReadinessProbe,
  ) {}

  @Route(API_ROUTES.live)
  live() {
    return { status: 'ok' };
  }

  @Route(API_ROUTES.ready)
  @HealthCheck()
  ready() {
    return this.health.check([() => this.check('postgres', () => this.probe.postgres()), () => this.check('redis', () => this.probe.redis())]);
  }

  private async check(key: string, ping: () => Promise<void>) {
    const indicator = this.indicators.check(key);
    try {
      await ping();
      return indicator.up();
    } catch (error) {
      return indicator.down({ message: (error as Error).message });
    }
  }
}
