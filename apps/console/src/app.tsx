import type { ComponentChildren } from 'preact';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { accord } from './api/accord';
import { credential } from './api/credential';
import { ApiError, whenUnauthorized } from './api/http';
import { ErrorNotice } from './components/error-notice';
import { AuditPage } from './pages/audit-page';
import { DefinitionPage } from './pages/definition-page';
import { DefinitionsPage } from './pages/definitions-page';
import { NotFoundPage } from './pages/not-found-page';
import { SignInPage } from './pages/sign-in-page';
import { TransactionPage } from './pages/transaction-page';
import { TransactionsPage } from './pages/transactions-page';
import { BASE, paths } from './paths';
import { useLoad } from './use-load';

/** Signed in with a key; `open` when the coordinator runs without
 * authentication (ADMIN_TOKEN unset, development only). */
type Session = { state: 'checking' } | { state: 'signed-out'; reason?: string } | { state: 'signed-in' } | { state: 'open' };

export function App() {
  const [session, setSession] = useState<Session>(() => (credential.get() ? { state: 'signed-in' } : { state: 'checking' }));

  useEffect(() => {
    whenUnauthorized(() => {
      if (!credential.get()) return;
      credential.clear();
      setSession({ state: 'signed-out', reason: 'The API no longer accepts your key (revoked or expired): sign in again.' });
    });
    if (session.state !== 'checking') return;
    accord.settings().then(
      (settings) => setSession(settings.authRequired ? { state: 'signed-out' } : { state: 'open' }),
      () => setSession({ state: 'signed-out' }),
    );
  }, []);

  if (session.state === 'checking') return null;
  if (session.state === 'signed-out') return <SignInPage reason={session.reason} onSignedIn={() => setSession({ state: 'signed-in' })} />;
  const signOut = () => {
    credential.clear();
    accord.closeQueueSession().catch(() => undefined);
    setSession({ state: 'signed-out', reason: 'Signed out.' });
  };
  return (
    <LocationProvider scope={BASE}>
      <Shell open={session.state === 'open'} onSignOut={signOut}>
        <Router>
          <Route path={`${BASE}/`} component={TransactionsPage} />
          <Route path={`${BASE}/transactions/:id`} component={TransactionPage} />
          <Route path={`${BASE}/definitions`} component={DefinitionsPage} />
          <Route path={`${BASE}/definitions/:name`} component={DefinitionPage} />
          <Route path={`${BASE}/audit`} component={AuditPage} />
          <Route default component={NotFoundPage} />
        </Router>
      </Shell>
    </LocationProvider>
  );
}

function Shell({ open, onSignOut, children }: { open: boolean; onSignOut: () => void; children: ComponentChildren }) {
  const { path, query } = useLocation();
  const counts = useLoad(() => accord.counts({}), [], 5000);
  const stuck = counts.data?.counts.STUCK ?? 0;
  const [queueError, setQueueError] = useState<Error>();
  const current = (active: boolean) => (active ? ('page' as const) : undefined);
  const onTransactions = path === `${BASE}/` || path.startsWith(`${BASE}/transactions`);

  const openQueues = async () => {
    setQueueError(undefined);
    try {
      await accord.openQueueSession();
      window.location.assign(paths.queues());
    } catch (error) {
      const forbidden = error instanceof ApiError && error.status === 403;
      setQueueError(forbidden ? new Error('The queue view needs a key with the admin scope.') : (error as Error));
    }
  };

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={paths.transactions()}>
          Accord
        </a>
        <nav aria-label="Main">
          <ul>
            <li>
              <a href={paths.transactions()} aria-current={current(onTransactions && query.status !== 'STUCK')}>
                Transactions
              </a>
            </li>
            <li>
              <a href={paths.stuck()} aria-current={current(path === `${BASE}/` && query.status === 'STUCK')}>
                Stuck <span class={`badge${stuck > 0 ? ' badge-alert' : ''}`}>{stuck}</span>
              </a>
            </li>
            <li>
              <a href={paths.definitions()} aria-current={current(path.startsWith(`${BASE}/definitions`))}>
                Definitions
              </a>
            </li>
            <li>
              <a href={paths.audit()} aria-current={current(path.startsWith(`${BASE}/audit`))}>
                Audit log
              </a>
            </li>
            <li>
              <button type="button" class="link" onClick={() => void openQueues()}>
                Queues
              </button>
            </li>
          </ul>
        </nav>
        {open ? (
          <span class="auth-off" title="ADMIN_TOKEN is not set on this coordinator">
            Authentication is off
          </span>
        ) : (
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <ErrorNotice error={queueError} />
      <main id="main">{children}</main>
    </>
  );
}
