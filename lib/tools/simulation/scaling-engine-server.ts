import { parse, stringify, toBigInt } from '../../core/json/bigint-json.ts';
import type { Trigger } from '../../core/model/policy.ts';
import { pause, readBody, record, send, sendJson, startPeerServer } from './peer-server.ts';
import type { ScalingEngineModel, ScalingResult } from './scaling-engine-model.ts';

export interface ScaleCall {
  /** From the path, as the scaling engine takes it. */
  readonly appId: string;
  readonly body: string;
  /** Undefined when the body was refused. */
  readonly trigger: Trigger | undefined;
  /** Wall-clock ms at arrival. */
  readonly at: number;
  status: number | undefined;
  reply: ScalingResult | undefined;
}

export interface ScalingEngineServerOptions {
  readonly port?: number;
  readonly host?: string;
  readonly model: Pick<ScalingEngineModel, 'scale'>;
  /** Answer with this status instead of asking the model (test knob). */
  readonly forceStatus?: (call: ScaleCall) => number | undefined;
  /** Answer 200 with a body that is not an AppScalingResult (test knob). */
  readonly garbage?: (call: ScaleCall) => boolean;
  readonly latencyMs?: number | ((call: ScaleCall) => number);
  /** Call log length kept (at least); default 10 000. */
  readonly keepCalls?: number;
}

export interface ScalingEngineServer {
  readonly url: string;
  /** Scale calls in arrival order, the newest `keepCalls` at least. */
  readonly calls: ScaleCall[];
  close(): Promise<void>;
}

const badRequest = JSON.stringify({ code: 'Bad-Request', message: 'Incorrect trigger in request body' });
const internalError = JSON.stringify({ code: 'Internal-server-error', message: 'Error taking scaling action' });

/**
 * The trigger body of docs/anchor-compatibility.md#trigger-json, every field present with its JSON
 * type; undefined otherwise.
 */
export const parseTriggerBody = (text: string): Trigger | undefined => {
  let body: unknown;
  try {
    body = parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof b[k] === 'string' ? b[k] : undefined);
  const int = (k: string): number | undefined =>
    typeof b[k] === 'number' && Number.isSafeInteger(b[k]) ? b[k] : undefined;
  const threshold = typeof b['threshold'] === 'string' ? undefined : toBigInt(b['threshold']);
  const [appId, metricType, metricUnit, operator, adjustment] = [
    'app_id',
    'metric_type',
    'metric_unit',
    'operator',
    'adjustment',
  ].map(str);
  const breachDurationSecs = int('breach_duration_secs');
  const coolDownSecs = int('cool_down_secs');
  if (
    appId === undefined ||
    metricType === undefined ||
    metricUnit === undefined ||
    operator === undefined ||
    adjustment === undefined ||
    breachDurationSecs === undefined ||
    coolDownSecs === undefined ||
    threshold === undefined
  )
    return undefined;
  return { appId, metricType, metricUnit, breachDurationSecs, threshold, operator, coolDownSecs, adjustment };
};

/**
 * Simulated scaling engine: `POST /v1/apps/{appid}/scale` validates the trigger, asks the injected
 * model and answers its AppScalingResult (docs/anchor-compatibility.md#scaling-engine). A model
 * result of status 1 (failed) is answered 500, as the scaling engine reports a failed scaling
 * action.
 */
export const startScalingEngineServer = async (options: ScalingEngineServerOptions): Promise<ScalingEngineServer> => {
  const calls: ScaleCall[] = [];
  const server = await startPeerServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://scaling-engine').pathname;
    const match = /^\/v1\/apps\/([^/]+)\/scale$/.exec(path);
    if (!match) return send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    const body = await readBody(req);
    const parsed = parseTriggerBody(body);
    const call: ScaleCall = {
      appId: decodeURIComponent(match[1] as string),
      body,
      trigger: parsed && { ...parsed, appId: decodeURIComponent(match[1] as string) },
      at: Date.now(),
      status: undefined,
      reply: undefined,
    };
    record(calls, call, options.keepCalls ?? 10_000);
    const answer = (status: number, text: string): void => {
      call.status = status;
      sendJson(res, status, text);
    };
    await pause(typeof options.latencyMs === 'function' ? options.latencyMs(call) : (options.latencyMs ?? 0));

    const forced = options.forceStatus?.(call);
    if (forced !== undefined) {
      return answer(
        forced,
        forced === 400
          ? badRequest
          : forced >= 500
            ? internalError
            : JSON.stringify({ code: 'Simulated', message: `simulated status ${forced}` }),
      );
    }
    if (!call.trigger) return answer(400, badRequest);
    if (options.garbage?.(call)) {
      call.status = 200;
      return send(res, 200, 'text/plain; charset=utf-8', 'succeed');
    }
    const result = options.model.scale(call.trigger);
    call.reply = result;
    if (result.status === 1) return answer(500, internalError);
    return answer(200, stringify(result));
  }, options);
  return { url: server.url, calls, close: server.close };
};
