/**
 * Reads the subject's organizational units from a DER certificate, in certificate order (RDN by RDN,
 * then within a multi-valued RDN), as Go's pkix.Name does. Parsing the DER directly avoids depending
 * on the escaping of node's printed subject string.
 */
interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const OID_OU = Buffer.from([0x55, 0x04, 0x0b]); // 2.5.4.11

const readTlv = (der: Uint8Array, at: number, limit: number): Tlv => {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = der[at] ?? 0;
  let length = der[at + 1] ?? 0;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + (der[start + i] ?? 0);
    start += bytes;
  }
  const end = start + length;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start, end };
};

const children = (der: Uint8Array, parent: Tlv): Tlv[] => {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const child = readTlv(der, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
};

const expect = (tlv: Tlv | undefined, tag: number): Tlv => {
  if (!tlv || tlv.tag !== tag) throw new Error('unexpected certificate structure');
  return tlv;
};

const decodeString = (der: Uint8Array, tlv: Tlv): string | undefined => {
  const bytes = Buffer.from(der.subarray(tlv.start, tlv.end));
  switch (tlv.tag) {
    case 0x0c:
      return bytes.toString('utf8'); // UTF8String
    case 0x12:
    case 0x13:
    case 0x16:
      return bytes.toString('latin1'); // Numeric, Printable, IA5
    case 0x14:
      return bytes.toString('latin1'); // T61String
    case 0x1e:
      return Buffer.from(bytes).swap16().toString('utf16le'); // BMPString
    default:
      return undefined; // Go skips values that are not strings
  }
};

/** @throws Error when the bytes are not a single DER certificate. */
export const subjectOrganizationalUnits = (der: Uint8Array): string[] => {
  const certificate = expect(readTlv(der, 0, der.length), SEQUENCE);
  if (certificate.end !== der.length) throw new Error('trailing data after the certificate');
  const tbs = expect(children(der, certificate)[0], SEQUENCE);
  const fields = children(der, tbs);
  // [0] version is optional; then serial, signature, issuer, validity, subject.
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
  const subject = expect(fields[offset + 4], SEQUENCE);
  const units: string[] = [];
  for (const rdn of children(der, subject)) {
    for (const attribute of children(der, expect(rdn, SET))) {
      const [oid, value] = children(der, expect(attribute, SEQUENCE));
      if (!oid || !value || oid.tag !== 0x06 || !OID_OU.equals(der.subarray(oid.start, oid.end))) continue;
      const text = decodeString(der, value);
      if (text !== undefined) units.push(text);
    }
  }
  return units;
};
