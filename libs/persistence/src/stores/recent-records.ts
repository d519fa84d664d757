import type { TransactionRecord } from './transaction.record';

/**
 * The unfinished transactions this replica committed or read last, as of
 * their version: a claim that finds the version unchanged needs no copy of
 * them from Postgres (TransactionStore.claim). Bounded, oldest out first.
 */
export class RecentRecords {
  private readonly records = new Map<string, TransactionRecord>();

  constructor(private readonly maxSize: number) {}

  get(id: string): TransactionRecord | undefined {
    return this.records.get(id);
  }

  /** Keeps `record` unless a newer version is already held. */
  put(record: TransactionRecord): void {
    const held = this.records.get(record.id);
    if (held && held.version > record.version) return;
    this.records.delete(record.id);
    this.records.set(record.id, record);
    if (this.records.size > this.maxSize) this.records.delete(this.records.keys().next().value!);
  }

  forget(id: string): void {
    this.records.delete(id);
  }
}
