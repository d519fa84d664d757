import { useState } from 'preact/hooks';
import { accord } from '../api/accord';
import { credential } from '../api/credential';
import { ApiError } from '../api/http';
import { ErrorNotice } from '../components/error-notice';

/** Asks for an API key and keeps it for this tab once the API accepts it. */
export function SignInPage({ reason, onSignedIn }: { reason?: string; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    credential.set(key.trim());
    try {
      // Any read proves the key; the counts are the cheapest one.
      await accord.counts({});
      onSignedIn();
    } catch (failure) {
      credential.clear();
      const refused = failure instanceof ApiError && failure.status === 401;
      setError(refused ? new Error('The API refused this key: it is wrong or has been revoked.') : (failure as Error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <form onSubmit={(event) => void submit(event)} class="card">
        <h1>Accord console</h1>
        <p>Sign in with an API key (the scope <code>transactions:read</code> to look, <code>admin</code> to act), or the admin token.</p>
        {reason && (
          <p class="notice" role="status">
            {reason}
          </p>
        )}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
        />
        <p class="hint">It is kept in this browser tab only (sessionStorage) and sent as a bearer token.</p>
        <ErrorNotice error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
