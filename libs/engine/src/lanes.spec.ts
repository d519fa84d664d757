import { Lanes } from './lanes';

const tick = () => new Promise((r) => setImmediate(r));

describe(Lanes.name, () => {
  it('runs the tasks of one key one after the other, in order, and tells the later ones they waited', async () => {
    const lanes = new Lanes();
    const log: string[] = [];
    let release!: () => void;
    const first = lanes.run('t1', async (waited) => {
      log.push(`first start waited=${waited}`);
      await new Promise<void>((r) => (release = r));
      log.push('first end');
    });
    const second = lanes.run('t1', (waited) => {
      log.push(`second waited=${waited}`);
      return Promise.resolve();
    });
    await tick();
    expect(log).toEqual(['first start waited=false']);
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['first start waited=false', 'first end', 'second waited=true']);
    await tick();
    expect(lanes.size).toBe(0);
  });

  it('runs tasks of different keys side by side', async () => {
    const lanes = new Lanes();
    let release!: () => void;
    const blocked = lanes.run('t1', () => new Promise<void>((r) => (release = r)));
    await expect(lanes.run('t2', (waited) => Promise.resolve(waited))).resolves.toBe(false);
    release();
    await blocked;
  });

  it('goes on with the next task of a key after one failed, and passes the failure to its caller only', async () => {
    const lanes = new Lanes();
    const failed = lanes.run('t1', () => Promise.reject(new Error('boom')));
    const next = lanes.run('t1', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});
