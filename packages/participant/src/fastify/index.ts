/** `@accord/participant/fastify`: participant endpoints as a Fastify plugin. */
import type { FastifyPluginAsync } from 'fastify';
import { answerParticipantCall } from '../participant-call.answer';
import { DEFAULT_MAX_BODY_BYTES, type ParticipantHandlerOptions } from '../participant-handler';

/** A Fastify plugin serving `handlers` as POST routes. Register it without
 * fastify-plugin: its JSON parser keeps the raw body text (for the
 * signature) and stays inside the plugin's own context. */
export function participantFastifyPlugin<Session extends object>(options: ParticipantHandlerOptions<Session>): FastifyPluginAsync {
  // Fastify waits for the promise of a plugin that takes no `done`. Made
  // here rather than by `async` (there is nothing to await), it still turns
  // a throw while registering into the rejection register() reports.
  return (fastify) =>
    new Promise<void>((resolve) => {
      fastify.removeAllContentTypeParsers();
      fastify.addContentTypeParser(
        'application/json',
        { parseAs: 'string', bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES },
        (_req, body, done) => done(null, body),
      );
      for (const [path, route] of Object.entries(options.handlers)) {
        fastify.post(path, async (request, reply) => {
          const raw = typeof request.body === 'string' ? request.body : '';
          const answer = await answerParticipantCall(options, route, raw, request.headers);
          return reply
            .code(answer.status)
            .headers(answer.headers)
            .type('application/json')
            .send(JSON.stringify(answer.body) ?? 'null');
        });
      }
      resolve();
    });
}
