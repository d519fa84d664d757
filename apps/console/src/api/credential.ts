/** The operator's API key, for this browser tab only: sessionStorage is
 * per tab and gone when it closes, and the key never goes into a URL. */
const STORAGE_KEY = 'accord.console.key';

export const credential = {
  get(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  set(key: string): void {
    sessionStorage.setItem(STORAGE_KEY, key);
  },
  clear(): void {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};
