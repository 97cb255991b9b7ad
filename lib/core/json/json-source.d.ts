// Node 24 implements JSON.rawJSON and the reviver source context (TC39 "JSON.parse source text access");
// the bundled TypeScript lib does not describe them yet.
interface JSONReviverContext {
  readonly source?: string;
}

interface JSON {
  rawJSON(text: string): unknown;
  parse(
    text: string,
    reviver: (this: unknown, key: string, value: unknown, context: JSONReviverContext) => unknown,
  ): unknown;
}
