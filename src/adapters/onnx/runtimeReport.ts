/**
 * What `waterline info` says about the inference runtime: onnxruntime-node's version, the execution
 * providers this build offers (cuda only when its library is installed), and — for a loaded model — the
 * provider it actually runs on and whether it fell back from the one requested.
 */
import type { Segmenter } from '../../core/model/segmenter.ts';
import { availableProviders, onnxRuntimeVersion, providerFallback, usableProviderNames, type Device, type ProviderStatus } from './onnxSession.ts';

export interface RuntimeModelReport {
  name: string;
  kind: string;
  inputSize: number;
  /** Execution provider in use. */
  provider: string;
  deviceRequested: Device;
  /** `expected -> actual` when the model does not run where the request should have put it. */
  fallback?: string;
}

export interface RuntimeReport {
  onnxruntime: string;
  /** Names of the providers usable now. */
  providers: string[];
  /** Every provider onnxruntime-node knows, with why it is (not) available. */
  providerDetails: ProviderStatus[];
  model?: RuntimeModelReport;
}

export function runtimeReport(loaded?: { segmenter: Segmenter; deviceRequested: Device }): RuntimeReport {
  const report: RuntimeReport = {
    onnxruntime: onnxRuntimeVersion(),
    providers: usableProviderNames(),
    providerDetails: availableProviders(),
  };
  if (loaded) {
    const { name, kind, inputSize, provider } = loaded.segmenter.info;
    const fallback = providerFallback(loaded.deviceRequested, provider);
    report.model = { name, kind, inputSize, provider, deviceRequested: loaded.deviceRequested, ...(fallback ? { fallback } : {}) };
  }
  return report;
}

export function formatRuntimeReport(r: RuntimeReport): string {
  const missing = r.providerDetails.filter((p) => !p.available).map((p) => `${p.name}: ${p.detail}`);
  const lines = [`Runtime: onnxruntime-node ${r.onnxruntime}; execution providers: ${r.providers.join(', ')}${missing.length ? ` (not available: ${missing.join('; ')})` : ''}`];
  if (r.model) {
    const m = r.model;
    lines.push(`Model: ${m.name} (${m.kind}, ${m.inputSize} px tiles) running on ${m.provider} (requested --device ${m.deviceRequested}${m.fallback ? `; FELL BACK ${m.fallback}` : ''})`);
  }
  return `${lines.join('\n')}\n`;
}
