import { parseDocument, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';

/**
 * A parsed configuration document reduced to what decoding needs: maps, sequences and scalars that
 * keep their source text (a plain `0123` stays "0123" when the key is a string, as in Go's yaml).
 */
export type RawNode =
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [string, RawNode]> }
  | { readonly kind: 'seq' }
  | { readonly kind: 'scalar'; readonly value: string | number | boolean | null; readonly text: string };

const NULL: RawNode = { kind: 'scalar', value: null, text: '' };

const fromYamlNode = (doc: Document, node: unknown): RawNode => {
  if (node === null || node === undefined) return NULL;
  if (isAlias(node)) return fromYamlNode(doc, node.resolve(doc));
  if (isMap(node)) {
    return {
      kind: 'map',
      entries: node.items.map(
        (pair) => [String(isScalar(pair.key) ? pair.key.value : pair.key), fromYamlNode(doc, pair.value)] as const,
      ),
    };
  }
  if (isSeq(node)) return { kind: 'seq' };
  if (isScalar(node)) {
    const value = node.value;
    const scalar =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
        ? value
        : String(value);
    return { kind: 'scalar', value: scalar, text: node.source ?? String(value) };
  }
  return { kind: 'scalar', value: String(node), text: String(node) };
};

/** Parses YAML (or JSON, a subset of YAML); returns undefined for an empty document. Throws on syntax errors. */
export const rawFromYaml = (source: string): RawNode | undefined => {
  const doc = parseDocument(source, { prettyErrors: true });
  const [first] = doc.errors;
  if (first) throw new Error(first.message.trim());
  if (doc.contents === null) return undefined;
  return fromYamlNode(doc, doc.contents as YamlNode);
};

/** Converts an already-parsed JSON value (a VCAP credential object) into the same tree. */
export const rawFromJs = (value: unknown): RawNode => {
  if (value === null || value === undefined) return NULL;
  if (Array.isArray(value)) return { kind: 'seq' };
  if (typeof value === 'object')
    return { kind: 'map', entries: Object.entries(value).map(([k, v]) => [k, rawFromJs(v)] as const) };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return { kind: 'scalar', value, text: String(value) };
  return { kind: 'scalar', value: String(value), text: String(value) };
};
