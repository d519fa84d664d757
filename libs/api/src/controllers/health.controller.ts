import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../auth/scopes';

/** What readiness depends on; the app binds it to its real connections. */
export abstract class ReadinessProbe {
  abstract postgres(): Promise<void>;
  abstract redis(): Promise<void>;
  /** Each broker connection's state (`up`, `down`, `connecting`): reported,
   * never a reason to be unready, since calls through a broker that is down
   * are retried. */
  abstract brokers(): Record<string, string>;
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly probe: ReadinessProbe,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.check('postgres', () => this.probe.postgres()),
      () => this.check('redis', () => this.probe.redis()),
      () => this.indicators.check('brokers').up(this.probe.brokers()),
    ]);
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
