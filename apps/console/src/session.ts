// The admin key lives in sessionStorage only: never a cookie, never a URL, and
// gone when the tab closes.
const ADMIN_KEY = "aiproxy.adminKey";
const API_KEY = "aiproxy.apiKey";

function read(name: string): string | undefined {
  try {
    return sessionStorage.getItem(name) ?? undefined;
  } catch {
    return undefined; // storage disabled: the console still works on an open (loopback) gateway
  }
}

function write(name: string, value: string | undefined): void {
  try {
    if (value) sessionStorage.setItem(name, value);
    else sessionStorage.removeItem(name);
  } catch {
    // storage disabled; the key lasts as long as the page
  }
}

export const adminKey = () => read(ADMIN_KEY);
export const setAdminKey = (key: string | undefined) => write(ADMIN_KEY, key);
/** The key for `/v1/*` (proxy_api_keys); default the admin key. */
export const apiKey = () => read(API_KEY) ?? adminKey();
export const setApiKey = (key: string | undefined) => write(API_KEY, key);
