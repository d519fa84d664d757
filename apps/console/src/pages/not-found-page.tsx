import { paths } from '../paths';

export function NotFoundPage() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no such page. <a href={paths.transactions()}>Back to the transactions</a>.
      </p>
    </section>
  );
}
