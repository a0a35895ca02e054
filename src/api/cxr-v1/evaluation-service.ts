import type { ServiceContext } from '../service-context';
import { unary, serverStream } from '../call-adapters';
import {
  EvaluationServiceService, ReportFormat, type EvaluationServiceServer, type ModelRef, type StatisticsOptions,
} from '../generated/cxr/v1/evaluation_service';
import type { DatasetRef } from '../generated/cxr/v1/common';
import { CxrError, invalidArgument, unimplemented } from '../../errors/cxr-error';
import type { EvaluationJobsApi } from '../capabilities';
import type { DatasetSpec, ModelSelector, StatisticsSpec } from '../../evaluation/evaluation-spec';
import { jobToProto } from './convert';
import { abortOnCancel } from '../call-context';

export { EvaluationServiceService };

/** cxr.v1.EvaluationService over ctx.capabilities.evaluation; UNIMPLEMENTED naming it when absent. */
export function evaluationService(ctx: ServiceContext): EvaluationServiceServer {
  const S = 'cxr.v1.EvaluationService';
  const jobs = (): EvaluationJobsApi => {
    const e = ctx.capabilities.evaluation;
    if (!e) throw unimplemented('evaluation needs the evaluator (src/evaluation), which this server was started without');
    return e;
  };
  return {
    evaluate: unary(ctx, S, 'Evaluate', async (req, _call, notes) => {
      notes.modelName = req.model?.name || undefined;
      const job = await jobs().evaluate({
        model: modelFromProto(req.model),
        dataset: datasetFromProto(req.dataset),
        statistics: statisticsFromProto(req.statistics),
        storeOperatingPoints: req.storeOperatingPoints,
      });
      return { job: jobToProto(job, ctx.store.jobs.queuePosition(job.id)) };
    }),

    compare: unary(ctx, S, 'Compare', async (req) => {
      const job = await jobs().compare({
        models: req.models.map(modelFromProto),
        dataset: datasetFromProto(req.dataset),
        statistics: statisticsFromProto(req.statistics),
      });
      return { job: jobToProto(job, ctx.store.jobs.queuePosition(job.id)) };
    }),

    watchEvaluation: serverStream(ctx, S, 'WatchEvaluation', async (req, call) => {
      if (!req.jobId) throw invalidArgument('job_id is required', [{ field: 'job_id', description: 'the id Evaluate or Compare returned' }]);
      const api = jobs();
      api.get(req.jobId); // NOT_FOUND before anything is streamed
      const { signal, dispose } = abortOnCancel(call);
      try {
        for await (const ev of api.watch(req.jobId, signal)) {
          if (signal.aborted) break;
          call.write({ job: jobToProto(ev.job, ev.queuePosition) });
        }
      } finally {
        dispose();
      }
    }),

    getReport: unary(ctx, S, 'GetReport', (req) => {
      if (!req.reportId) throw invalidArgument('report_id is required', [{ field: 'report_id', description: 'the id in the finished job\'s result' }]);
      const reports = ctx.store.reports;
      switch (req.format) {
        case ReportFormat.REPORT_FORMAT_UNSPECIFIED:
        case ReportFormat.REPORT_FORMAT_JSON:
          return { reportId: req.reportId, content: reports.readJson(req.reportId), contentType: 'application/json' };
        case ReportFormat.REPORT_FORMAT_HTML: {
          const html = reports.readHtml(req.reportId);
          if (html === null) throw new CxrError('NOT_FOUND', `report ${req.reportId} has no HTML rendering`);
          return { reportId: req.reportId, content: html, contentType: 'text/html; charset=utf-8' };
        }
        default:
          throw invalidArgument(`unknown report format ${String(req.format)}`, [{ field: 'format', description: 'REPORT_FORMAT_JSON or REPORT_FORMAT_HTML' }]);
      }
    }),
  };
}

function modelFromProto(m: ModelRef | undefined): ModelSelector {
  return { name: m?.name ?? '', version: m?.version ?? '' };
}

function datasetFromProto(d: DatasetRef | undefined): DatasetSpec {
  if (!d) return { manifestPath: '' };
  return {
    manifestPath: d.manifestPath,
    split: d.split,
    pathColumn: d.pathColumn,
    splitColumn: d.splitColumn,
    labelColumns: d.labelColumns,
    conventions: d.conventions
      ? { uncertainAsPositive: d.conventions.uncertainAsPositive, gradedPositiveThreshold: d.conventions.gradedPositiveThreshold }
      : undefined,
  };
}

function statisticsFromProto(s: StatisticsOptions | undefined): StatisticsSpec | undefined {
  // Proto3 zeros mean "default" (1000 resamples, 0.95); seed 0 is a seed like any other.
  return s ? { resamples: s.resamples, seed: s.seed, confidence: s.confidence } : undefined;
}
