import { Client } from 'pg';
import { Api, startCoordinator } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

describe('graceful shutdown', () => {
  let participant: ParticipantProcess;

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
  });

  afterAll(async () => {
    await participant?.stop();
  });

  it('lets a participant call in flight finish and records its result before the process exits on SIGTERM', async () => {
    const coordinator = await startCoordinator({ label: 'shutdown' });
    try {
      await script(participant.url, { '/drain/a': { responses: [{ status: 200, body: { done: true }, delayMs: 1500 }] } });
      const api = new Api(coordinator.url);
      const started = await api.post('/v1/transactions', {
        spec: { type: 'saga', steps: [{ name: 'a', action: { url: `${participant.url}/drain/a` } }, { name: 'b', action: { url: `${participant.url}/drain/b` } }] },
      });
      expect(started.status).toBe(201);
      for (let i = 0; i < 100 && (await calls(participant.url, '/drain/a')).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await calls(participant.url, '/drain/a')).toHaveLength(1);

      await coordinator.stop();
      expect(coordinator.process.exitCode).toBe(0);

      const db = new Client({ connectionString: coordinator.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query(
          `SELECT s.status, (SELECT count(*)::int FROM attempts a WHERE a.transaction_id = s.transaction_id AND a.step = 'a' AND a.applied) AS logged
           FROM steps s WHERE s.transaction_id = $1 AND s.name = 'a'`,
          [started.body.id],
        );
        expect(rows).toEqual([{ status: 'SUCCEEDED', logged: 1 }]);
      } finally {
        await db.end();
      }
    } finally {
      await coordinator.kill();
    }
  }, 60_000);
});
