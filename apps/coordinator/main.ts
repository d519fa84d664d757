// First: starts tracing (when configured) before what it instruments loads.
import { tracingStarted } from './instrument';
import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  answerClientError, Authenticator, buildApiDocument, frameworkErrorResponse, installAuthentication, installConsole, installJsonBodyParser,
  installQueueView, installRateLimit,
} from '@accord/api';
import { ConfigError, loadConfig, type AccordConfig } from '@accord/config';
import { maskUrl } from '@accord/core';
import { Untraced } from '@accord/engine';
import { createLogger } from '@accord/telemetry';
import { CoordinatorModule } from './coordinator.module';
import { connectWithRetry } from './connect';
import { Runtime } from './runtime';

/** How long shutdown waits for the last spans to be sent: a collector that
 * has not answered by then is not waited for. */
const TRACE_FLUSH_MS = 1000;

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, undefined, tracingStarted?.started.logFields);
  if (tracingStarted) {
    const { endpoint, protocol, serviceName, sampler } = tracingStarted.config;
    logger.info({ endpoint: maskUrl(endpoint), protocol, serviceName, sampler }, 'tracing on: spans are exported over OTLP');
  }
  if (!config.authEnabled) logger.warn('ADMIN_TOKEN is not set: authentication is OFF (allowed outside production only)');
  if (!config.SIGNING_SECRET) logger.warn('SIGNING_SECRET is not set: calls to participants are not signed');
  if (!config.PARTICIPANT_ALLOW) {
    logger.warn(
      'PARTICIPANT_ALLOW is not set: definitions may target any host but link-local, metadata and unspecified addresses' +
        (config.production ? '' : ', loopback included (refused in production)'),
    );
  }

  const tracing = tracingStarted?.started.tracing ?? new Untraced();
  const runtime = new Runtime(config, logger, tracing);
  const webhookRefused = await runtime.checkWebhookTarget();
  if (webhookRefused) throw new ConfigError(webhookRefused);
  const migrations = await connectWithRetry(runtime, logger);
  if (migrations.length > 0) logger.info({ migrations }, 'applied migrations');

  const app = await NestFactory.create<NestFastifyApplication>(
    CoordinatorModule.create(runtime),
    // maxParamLength: a definition name may be 128 characters (fastify's default is 100).
    new FastifyAdapter({
      bodyLimit: config.MAX_BODY_BYTES,
      // Slow and idle clients: see HTTP_* in libs/config. No socket
      // inactivity timeout (connectionTimeout): a long poll is silent.
      http: { headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxRequestsPerSocket: config.HTTP_MAX_REQUESTS_PER_SOCKET,
      clientErrorHandler: answerClientError,
      routerOptions: { maxParamLength: 512 },
      frameworkErrors: (error: { message: string }, _request: unknown, reply: FastifyReply) => {
        const { status, body } = frameworkErrorResponse(error);
        void reply.status(status).send(body);
      },
    }),
    { logger: ['error', 'warn'], bodyParser: false },
  );
  const fastify = app.getHttpAdapter().getInstance();
  const authenticator = new Authenticator({ adminToken: config.ADMIN_TOKEN }, runtime.apiKeys);
  installJsonBodyParser(fastify);
  installAuthentication(fastify, authenticator);
  if (config.RATE_LIMIT_PER_MINUTE && runtime.rateLimitRedis) {
    await installRateLimit(fastify, {
      perMinute: config.RATE_LIMIT_PER_MINUTE,
      redis: runtime.rateLimitRedis,
      namespace: `${config.QUEUE_PREFIX}:rate-limit:`,
    });
  }
  if (config.ROLE !== 'worker') await installOperatorViews(app, runtime, authenticator);
  const starts = config.ROLE === 'worker' ? null : startTransportOptions(config);
  if (starts) app.connectMicroservice<MicroserviceOptions>(starts);
  app.getHttpServer().maxConnections = config.HTTP_MAX_CONNECTIONS;
  await app.listen(config.PORT, config.HOST);
  if (starts) await app.startAllMicroservices();
  runtime.listeningOn((app.getHttpServer().address() as { port: number }).port);
  await runtime.startBackground();
  logger.info({ port: config.PORT, role: config.ROLE, ...(config.ROLE === 'worker' ? {} : { docs: '/docs', console: '/console' }) }, 'accord coordinator ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining workers');
    const force = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    await app.close();
    await runtime.stop();
    await tracing.flush(TRACE_FLUSH_MS);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** Where START_TRANSPORT listens: one NATS queue group or one RabbitMQ
 * queue, so each start message is taken by one replica. */
function startTransportOptions(config: AccordConfig): MicroserviceOptions | null {
  switch (config.START_TRANSPORT) {
    case undefined:
      return null;
    case 'nats':
      return { transport: Transport.NATS, options: { servers: config.NATS_URL, queue: 'accord', maxReconnectAttempts: -1, reconnectTimeWait: 1000 } };
    case 'rmq':
      return {
        transport: Transport.RMQ,
        options: { urls: config.RABBITMQ_URL, queue: config.START_QUEUE, socketOptions: { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 } },
      };
  }
}

/** The console, the queue view and the OpenAPI document: what an API replica serves besides /v1. */
async function installOperatorViews(app: NestFastifyApplication, runtime: Runtime, authenticator: Authenticator): Promise<void> {
  const { config, logger } = runtime;
  const fastify = app.getHttpAdapter().getInstance();
  // dist/apps/coordinator → dist/console, where apps/console builds to.
  const consoleBuilt = await installConsole(fastify, join(__dirname, '..', '..', 'console'), { authRequired: config.authEnabled });
  if (!consoleBuilt) logger.warn('the console is not built (npm run build): /console is absent');
  await installQueueView(fastify, { queue: runtime.queue.bullQueue, authenticator, adminToken: config.ADMIN_TOKEN });
  // Generated from the route table the controllers are routed by; Swagger UI only serves it.
  SwaggerModule.setup('docs', app, buildApiDocument() as OpenAPIObject, { jsonDocumentUrl: 'docs-json' });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`accord: ${error.message}\n`);
  else process.stderr.write(`accord: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
