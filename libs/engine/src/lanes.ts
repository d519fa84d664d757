/**
 * Runs the tasks of one key one after the other, and tasks of different keys
 * side by side. The transitions of one transaction go through one lane in a
 * replica, so its parallel steps' results do not fight over its version; the
 * version check still guards against other replicas.
 */
export class Lanes {
  private readonly tails = new Map<string, Promise<void>>();

  /** `task` learns whether it waited behind another task of its key. */
  run<T>(key: string, task: (waited: boolean) => Promise<T>): Promise<T> {
    const tail = this.tails.get(key);
    const result = tail ? tail.then(() => task(true)) : task(false);
    const next = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, next);
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
