import { X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { subjectOrganizationalUnits } from './x509-subject.ts';

export type XfccResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface XfccOptions {
  readonly validOrgGuid: string;
  /** "" accepts any space. */
  readonly validSpaceGuid: string;
}

// Go's base64.StdEncoding: padded standard alphabet; only CR and LF are skipped.
const decodeStdBase64 = (text: string): Buffer | undefined => {
  const compact = text.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
};

/**
 * The value of `key` in the first OU that contains `key:`; within it every `name:guid` pair is read
 * and later pairs win. "" when there is none (docs/anchor-compatibility.md#xfcc).
 */
const guidFromUnits = (units: readonly string[], key: 'space' | 'organization'): string => {
  const unit = units.find((u) => u.includes(`${key}:`));
  if (unit === undefined) return '';
  const pairs = new Map<string, string>();
  for (const match of unit.matchAll(/(\w+):((\w+-)*\w+)/g)) pairs.set(match[1] ?? '', match[2] ?? '');
  return pairs.get(key) ?? '';
};

/**
 * Authenticates a request by the client certificate gorouter forwards in X-Forwarded-Client-Cert
 * (standard base64 of the DER bytes). Checks, in order: header present, certificate parses, space
 * (only when configured), org (always; an empty org accepts only certificates without one).
 * The certificate is not chain-verified: trust rests on gorouter's mTLS.
 */
export const authenticateXfcc = (req: { readonly headers: IncomingHttpHeaders }, options: XfccOptions): XfccResult => {
  const header = req.headers['x-forwarded-client-cert'];
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return { ok: false, reason: 'xfcc header not found' };
  const der = decodeStdBase64(value);
  if (!der) return { ok: false, reason: 'xfcc header is not valid base64' };
  let units: string[];
  try {
    // X509Certificate also accepts PEM; requiring DER first keeps to the wire format.
    units = subjectOrganizationalUnits(der);
    new X509Certificate(der);
  } catch {
    return { ok: false, reason: 'xfcc header is not a valid certificate' };
  }
  if (options.validSpaceGuid !== '' && guidFromUnits(units, 'space') !== options.validSpaceGuid) {
    return { ok: false, reason: 'space guid is wrong' };
  }
  if (guidFromUnits(units, 'organization') !== options.validOrgGuid) return { ok: false, reason: 'org guid is wrong' };
  return { ok: true };
};
