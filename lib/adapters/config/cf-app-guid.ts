type Env = Readonly<Record<string, string | undefined>>;

/**
 * The app's own guid from VCAP_APPLICATION (`application_id`), which with an instance index makes
 * the `X-Cf-App-Instance` header that routes a request to one instance; undefined off CF or when
 * absent. The config loader has already refused a VCAP_APPLICATION that is not JSON.
 */
export const cfAppGuid = (env: Env): string | undefined => {
  try {
    const parsed = JSON.parse(env['VCAP_APPLICATION'] ?? '') as { application_id?: unknown } | null;
    const id = parsed?.application_id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
};
