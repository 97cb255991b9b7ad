import { parseGoDuration } from '../adapters/config/go-duration.ts';
import { errorText } from '../core/error-text.ts';
import { LOAD_MODELS } from './load-model.ts';
import type { LoadModelName } from './load-model.ts';
import { parsePressure } from './pressure.ts';
import type { Pressure } from './pressure.ts';
import { parseVariation } from './vary.ts';
import type { Variation } from './vary.ts';

/** The replay options of the load model and the policy lab. */
export interface LabArgs {
  readonly loadModel: LoadModelName;
  readonly variations: readonly Variation[];
  readonly pressure: readonly Pressure[] | undefined;
  readonly maxPressureSecs: number | undefined;
  readonly flapWindowSecs: number | undefined;
  /** True when any lab option was given: the replay compares candidates. */
  readonly enabled: boolean;
}

export const LAB_OPTIONS = {
  'load-model': { type: 'string' },
  vary: { type: 'string', multiple: true },
  pressure: { type: 'string', multiple: true },
  'max-pressure': { type: 'string' },
  'flap-window': { type: 'string' },
} as const;

const seconds = (flag: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
  } catch (err) {
    throw new Error(`--${flag}: ${errorText(err)} (use a duration such as 90s or 10m)`);
  }
  if (!(ms >= 0)) throw new Error(`--${flag} must not be negative, got ${JSON.stringify(text)}`);
  return ms / 1000;
};

/** Throws an Error naming the option at fault. */
export const parseLabArgs = (values: {
  readonly 'load-model'?: string | undefined;
  readonly vary?: string[] | undefined;
  readonly pressure?: string[] | undefined;
  readonly 'max-pressure'?: string | undefined;
  readonly 'flap-window'?: string | undefined;
}): LabArgs => {
  const model = values['load-model'] ?? 'shared';
  if (!(LOAD_MODELS as readonly string[]).includes(model))
    throw new Error(`--load-model must be one of ${LOAD_MODELS.join(', ')}, got ${JSON.stringify(model)}`);
  const variations = (values.vary ?? []).map(parseVariation);
  const paths = variations.map((v) => v.path);
  const twice = paths.find((p, i) => paths.indexOf(p) !== i);
  if (twice) throw new Error(`--vary ${twice} is given twice; list all its values in one --vary`);
  const pressure = values.pressure?.map(parsePressure);
  const maxPressureSecs = seconds('max-pressure', values['max-pressure']);
  const flapWindowSecs = seconds('flap-window', values['flap-window']);
  return {
    loadModel: model as LoadModelName,
    variations,
    pressure,
    maxPressureSecs,
    flapWindowSecs,
    enabled:
      variations.length > 0 || pressure !== undefined || maxPressureSecs !== undefined || flapWindowSecs !== undefined,
  };
};
