/** What the service and the embedded database's process (embedded-database-process.ts) say over IPC. */
export type EmbeddedProcessRequest =
  | { readonly kind: 'start'; readonly dataDir?: string | undefined; readonly port?: number | undefined }
  | { readonly kind: 'stop' };

export type EmbeddedProcessReply =
  | { readonly kind: 'ready'; readonly host: string; readonly port: number }
  | { readonly kind: 'failed'; readonly message: string }
  | { readonly kind: 'stopped' };
