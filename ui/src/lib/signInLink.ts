// Sign-in links (`https://host:port/#token=opsdeck_…`): printed by `opsdeck serve` at start and
// encoded in phone-pairing codes. The fragment never reaches the server; the page reads the
// token from it, removes it at once, then signs in with it.

const TOKEN_HASH = /^#token=([^&]+)/;

/** The token in a `#token=…` fragment, or null. */
export function tokenFromHash(hash: string): string | null {
  const m = TOKEN_HASH.exec(hash);
  if (!m?.[1]) return null;
  try {
    const token = decodeURIComponent(m[1]).trim();
    return token === "" ? null : token;
  } catch {
    return null;
  }
}

/**
 * Takes the token out of the address: returns it, and replaces the current history entry with
 * the same address without the fragment, so the token stays neither in the address bar nor in
 * the history. Null, and nothing changed, when the address holds no token.
 */
export function takeTokenFromLocation(win: Window = window): string | null {
  const token = tokenFromHash(win.location.hash);
  if (token === null) return null;
  const { pathname, search } = win.location;
  try {
    win.history.replaceState(win.history.state, "", `${pathname}${search}`);
  } catch {
    // Should never happen on the page's own address; still, replace (not add) the entry.
    win.location.replace("#");
  }
  return token;
}

/** The address a phone opens to sign in: `<url>/#token=<token>`. */
export function signInLink(serverUrl: string, token: string): string {
  return `${serverUrl.trim().replace(/\/+$/, "")}/#token=${encodeURIComponent(token)}`;
}
