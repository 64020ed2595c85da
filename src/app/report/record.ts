// A deploy as its workflow history recorded it: the input, every reading of
// every host, each look's request and full verdict, each switch, and how it
// ended. Pure: it reads history events already fetched (src/app/report/fetch.ts),
// so the report of any past deploy can be rebuilt, and tested without a
// server.
import { inflatePayload } from '../temporal/codec.js';
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { BatchReading, JudgeLookInput } from '../../../activities/metrics.js';
import type { ClusterForDeploy } from '../../../activities/clusters.js';
import type { ClusterConfig } from '../../config/schema.js';
import type { DeployInput, DeployOutcome, DeployStatus } from '../../../workflows/model.js';
import type { JudgeVerdict, Snapshot } from '../../judge/types.js';
import { PhasedError } from '../../errors.js';
import {
  isOutcomeFailureType,
  type BatchResult,
  type HealthRun,
  type HookRun,
  type Host,
  type OperatorAction,
  type Phase,
} from '../../core/vocabulary.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every host's snapshot at one reading, and when it was taken. */
export interface ReportReading {
  index: number;
  /** What the reading was for: baseline, canary soak, watch... */
  label: string;
  /** When the reading was taken (ms; the earliest of its batches). */
  t: number;
  hosts: Record<string, Snapshot>;
}

/** One look of the judge: what it compared and what it found, with the numbers. */
export interface ReportLook {
  request: Omit<JudgeLookInput, 'workflowId' | 'metrics' | 'plan'>;
  /** When the judge answered (ms). */
  at: number;
  verdict: JudgeVerdict | null;
}

/** A batch of hosts switched: forward to the deploy's revision, or back. */
export interface ReportFlip {
  /** When the switch finished (ms). */
  at: number;
  label: string;
  direction: 'forward' | 'back';
  hosts: string[];
  /** Per host: the hook and health check that ran after the switch, or why the host failed. */
  checks: { host: string; hooks?: HookRun[]; health?: HealthRun; failed?: string }[];
}

export interface DeployRecord {
  workflowId: string;
  input: DeployInput;
  /** The cluster configuration the deploy ran with (the worker's file, as loaded), when known. */
  config: ClusterConfig | null;
  /** The columns of every snapshot, in order. */
  series: string[];
  startedAt: number;
  /** When the workflow closed; null while it runs. */
  closedAt: number | null;
  readings: ReportReading[];
  looks: ReportLook[];
  flips: ReportFlip[];
  /** The outcome, once the deploy has ended (completed, or failed with its outcome). */
  outcome: DeployOutcome | null;
  /** How the workflow closed when it carried no outcome (timed out, terminated...). */
  closedWithout: string | null;
  /** A running deploy's status, when its worker answered (actions and timings so far). */
  live?: DeployStatus | null;
}

const decode = <T>(p: Payload | null | undefined): T | undefined =>
  p ? defaultPayloadConverter.fromPayload<T>(inflatePayload(p)) : undefined;

const firstPayload = (ps: { payloads?: Payload[] | null } | null | undefined) => ps?.payloads?.[0];

const timeOf = (e: HistoryEvent): number => {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;
};

/** "sample 8 hosts (canary soak reading 4)": the reading's label and index, for histories before they were inputs. */
const SAMPLE_SUMMARY = /\((.+) reading (\d+)\)$/;

interface Scheduled {
  type: string;
  input: unknown;
  summary: string;
}

interface SampleInput {
  /** Host names (histories before 0.1 hold the hosts themselves). */
  hosts: (string | Host)[];
  series: string[];
  reading?: number;
  label?: string;
}

interface FlipInput {
  targets: { host: Host; revision: string }[];
}

/** Builds a deploy's record from its history events, in order. */
export function deployRecord(workflowId: string, events: readonly HistoryEvent[]): DeployRecord {
  const scheduled = new Map<string, Scheduled>();
  const readings = new Map<number, ReportReading>();
  const looks: ReportLook[] = [];
  const flips: ReportFlip[] = [];
  let input: DeployInput | undefined;
  let config: ClusterConfig | null = null;
  let series: string[] = [];
  let startedAt = 0;
  let closedAt: number | null = null;
  let outcome: DeployOutcome | null = null;
  let closedWithout: string | null = null;

  for (const e of events) {
    const at = timeOf(e);
    if (e.workflowExecutionStartedEventAttributes) {
      const a = e.workflowExecutionStartedEventAttributes;
      if (a.workflowType?.name !== 'deploy') throw notADeploy(workflowId, a.workflowType?.name);
      input = decode<DeployInput>(firstPayload(a.input));
      startedAt = at;
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      scheduled.set(String(e.eventId), {
        type: a.activityType?.name ?? '',
        input: decode(firstPayload(a.input)),
        summary: decode<string>(e.userMetadata?.summary) ?? '',
      });
    } else if (e.activityTaskCompletedEventAttributes) {
      const a = e.activityTaskCompletedEventAttributes;
      const s = scheduled.get(String(a.scheduledEventId));
      if (!s) continue;
      const result = decode(firstPayload(a.result));
      if (s.type === 'loadCluster') config = (result as ClusterForDeploy).config;
      else if (s.type === 'sampleHosts') {
        series = (s.input as SampleInput).series;
        addReading(readings, s, result as BatchReading);
      } else if (s.type === 'sampleHostsHistory') {
        // Several readings at once, read from the metrics store's history.
        const req = s.input as SampleInput & { readings: number[] };
        series = req.series;
        (result as BatchReading[]).forEach((r, k) =>
          addReading(readings, { ...s, input: { ...req, reading: req.readings[k] } }, r),
        );
      } else if (s.type === 'judgeLook') looks.push(look(s, at, result as JudgeVerdict));
      else if (s.type === 'flipHosts')
        flips.push(flip(s, at, input?.revision, result as FlipBatch));
    } else if (e.workflowExecutionCompletedEventAttributes) {
      closedAt = at;
      outcome = decode(firstPayload(e.workflowExecutionCompletedEventAttributes.result)) ?? null;
    } else if (e.workflowExecutionFailedEventAttributes) {
      closedAt = at;
      const info = e.workflowExecutionFailedEventAttributes.failure?.applicationFailureInfo;
      if (info && isOutcomeFailureType(info.type))
        outcome = decode(firstPayload(info.details)) ?? null;
      else
        closedWithout = `failed: ${e.workflowExecutionFailedEventAttributes.failure?.message ?? ''}`;
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      closedAt = at;
      closedWithout = 'timed out';
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      closedAt = at;
      closedWithout = `terminated: ${e.workflowExecutionTerminatedEventAttributes.reason ?? ''}`;
    } else if (e.workflowExecutionCanceledEventAttributes) {
      closedAt = at;
      closedWithout = 'cancelled';
    }
  }
  if (!input) throw notADeploy(workflowId, undefined);
  return {
    workflowId,
    input,
    config: config ?? input.config ?? null,
    series,
    startedAt,
    closedAt,
    readings: [...readings.values()].sort((a, b) => a.index - b.index),
    looks,
    flips,
    outcome,
    closedWithout,
  };
}

const notADeploy = (workflowId: string, type: string | null | undefined) =>
  new PhasedError({
    code: 'DEPLOY_NOT_FOUND',
    problem: `workflow ${workflowId} is ${type ? `a ${type}` : 'not a workflow phased started'}, not a deploy`,
    fix: 'name a deploy: `phased history <cluster>` lists them (a rollback has no canary report)',
  });

function addReading(readings: Map<number, ReportReading>, s: Scheduled, r: BatchReading) {
  const req = s.input as SampleInput;
  const m = SAMPLE_SUMMARY.exec(s.summary);
  const index = req.reading ?? (m ? Number(m[2]) : NaN);
  if (!Number.isInteger(index)) return;
  const reading = readings.get(index) ?? {
    index,
    label: req.label ?? m?.[1] ?? '',
    t: Infinity,
    hosts: {},
  };
  // Early histories timed each host of a batch: t was an array.
  const hostTime = (i: number) => (Array.isArray(r.t) ? (r.t[i] as number) : r.t);
  reading.t = Math.min(reading.t, hostTime(0));
  req.hosts.forEach((h, i) => {
    const host = typeof h === 'string' ? h : h.name;
    const snapshot: Snapshot = { t: hostTime(i), v: r.v[i] ?? [] };
    const k = r.k?.[i];
    const e = r.e?.[i];
    if (k) snapshot.k = k;
    if (e) snapshot.e = e;
    reading.hosts[host] = snapshot;
  });
  readings.set(index, reading);
}

function look(s: Scheduled, at: number, verdict: JudgeVerdict | undefined): ReportLook {
  const i = s.input as JudgeLookInput;
  const request: ReportLook['request'] = {
    series: i.series,
    phase: i.phase,
    before: i.before,
    after: i.after,
    canary: i.canary,
    control: i.control,
    ...(i.reading !== undefined ? { reading: i.reading } : {}),
    ...(i.recent ? { recent: i.recent } : {}),
    ...(i.limits ? { limits: i.limits } : {}),
  };
  return { request, at, verdict: verdict ?? null };
}

type FlipBatch = BatchResult<{ hooks?: HookRun[]; health?: HealthRun }> | undefined;

function flip(
  s: Scheduled,
  at: number,
  revision: string | undefined,
  result: FlipBatch,
): ReportFlip {
  const { targets } = s.input as FlipInput;
  return {
    at,
    label: s.summary,
    direction: targets.every((t) => t.revision === revision) ? 'forward' : 'back',
    hosts: targets.map((t) => t.host.name),
    checks: [
      ...(result?.ok ?? [])
        .filter((o) => o.result?.hooks || o.result?.health)
        .map((o) => ({
          host: o.host,
          ...(o.result.hooks ? { hooks: o.result.hooks } : {}),
          ...(o.result.health ? { health: o.result.health } : {}),
        })),
      ...(result?.failed ?? []).map((f) => ({ host: f.host, failed: `${f.error} [${f.code}]` })),
    ],
  };
}

/** The operator actions of a record: the outcome's, or a running deploy's so far. */
export const actionsOf = (r: DeployRecord): OperatorAction[] =>
  r.outcome?.actions ?? r.live?.actions ?? [];

/** When each phase started: the outcome's, or a running deploy's so far. */
export const timingsOf = (r: DeployRecord): Partial<Record<Phase, number>> =>
  r.outcome?.timings ?? r.live?.timings ?? {};
