/**
 * Token endpoint rules (docs/anchor-compatibility.md#log-cache-auth). The two grants differ on
 * purpose: the client-credentials client replaces any path, the password-grant client appends to
 * it.
 */
const parse = (uaaUrl: string): URL => {
  try {
    return new URL(uaaUrl);
  } catch (cause) {
    throw new TypeError(`invalid UAA url ${JSON.stringify(uaaUrl)}: expected an absolute http(s) URL`, { cause });
  }
};

/** `uaa.url` kept as is when it already ends in `/oauth/token`, else trailing `/` trimmed and `/oauth/token` appended. */
export const passwordGrantTokenUrl = (uaaUrl: string): string => {
  parse(uaaUrl);
  if (uaaUrl.endsWith('/oauth/token')) return uaaUrl;
  return `${uaaUrl.replace(/\/+$/, '')}/oauth/token`;
};

/** `uaa.url` with its path (and query) replaced by `/oauth/token`. */
export const clientCredentialsTokenUrl = (uaaUrl: string): string => {
  const url = parse(uaaUrl);
  url.pathname = '/oauth/token';
  url.search = '';
  url.hash = '';
  return url.toString();
};

/** The URL as it may appear in logs and errors: user-info removed. */
export const redactUrl = (url: string): string => {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '[invalid url]';
  }
};
