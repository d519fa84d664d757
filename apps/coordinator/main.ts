import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  answerClientError, Authenticator, frameworkErrorResponse, installAuthentication, installConsole, installJsonBodyParser, installQueueView, installRateLimit,
} from '@accord/api';
import { ConfigError, loadConfig } from '@accord/config';
import { createLogger } from '@accord/telemetry';
import { CoordinatorModule } from './coordinator.module';
import { connectWithRetry } from './connect';
import { Runtime } from './runtime';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  if (!config.authEnabled) logger.warn('ADMIN_TOKEN is not set: authentication is OFF (allowed outside production only)');
  if (!config.SIGNING_SECRET) logger.warn('SIGNING_SECRET is not set: calls to participants are not signed');
  if (!config.PARTICIPANT_ALLOW) {
    logger.warn(
      'PARTICIPANT_ALLOW is not set: definitions may target any host but link-local, metadata and unspecified addresses' +
        (config.production ? '' : ', loopback included (refused in production)'),
    );
  }

  const runtime = new Runtime(config, logger);
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
  // dist/apps/coordinator → dist/console, where apps/console builds to.
  const consoleBuilt = await installConsole(fastify, join(__dirname, '..', '..', 'console'), { authRequired: config.authEnabled });
  if (!consoleBuilt) logger.warn('the console is not built (npm run build): /console is absent');
  await installQueueView(fastify, { queue: runtime.queue.bullQueue, authenticator, adminToken: config.ADMIN_TOKEN });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Accord')
      .setDescription('Saga/TCC distributed-transaction coordinator')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  app.getHttpServer().maxConnections = config.HTTP_MAX_CONNECTIONS;
  await app.listen(config.PORT, config.HOST);
  runtime.listeningOn((app.getHttpServer().address() as { port: number }).port);
  await runtime.startBackground();
  logger.info({ port: config.PORT, docs: '/docs', console: '/console' }, 'accord coordinator ready');

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
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`accord: ${error.message}\n`);
  else process.stderr.write(`accord: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
