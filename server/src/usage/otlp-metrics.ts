import otlpRoot from "@opentelemetry/otlp-transformer/build/src/generated/root";

/** One metric of an ExportMetricsServiceRequest: whichever data kind it has, its points. */
interface Metric {
  gauge?: { dataPoints?: unknown[] };
  sum?: { dataPoints?: unknown[] };
  histogram?: { dataPoints?: unknown[] };
  exponentialHistogram?: { dataPoints?: unknown[] };
  summary?: { dataPoints?: unknown[] };
}

/** ExportMetricsServiceRequest, as either encoding decodes it. */
interface ExportMetricsRequest {
  resourceMetrics?: { scopeMetrics?: { metrics?: Metric[] }[] }[];
}

interface ProtobufType {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: Record<string, unknown>): unknown;
}
const metricsService = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { metrics: { v1: Record<string, ProtobufType> } } } } }).opentelemetry
  .proto.collector.metrics.v1;

const length = (list: unknown): number => (Array.isArray(list) ? list.length : 0);

/**
 * How many data points an OTLP metrics request carries (its records, as log records are for logs);
 * 0 when the body is not one. Skillyard keeps no metrics: this only feeds the ingest counter.
 */
export function metricDataPoints(body: Buffer, protobuf: boolean): number {
  let request: ExportMetricsRequest;
  try {
    const type = metricsService.ExportMetricsServiceRequest;
    request = (protobuf ? type.toObject(type.decode(body), { arrays: true }) : JSON.parse(body.toString("utf8"))) as ExportMetricsRequest;
  } catch {
    return 0;
  }
  let points = 0;
  for (const resource of Array.isArray(request?.resourceMetrics) ? request.resourceMetrics : []) {
    for (const scope of Array.isArray(resource?.scopeMetrics) ? resource.scopeMetrics : []) {
      for (const metric of Array.isArray(scope?.metrics) ? scope.metrics : []) {
        const data = metric?.gauge ?? metric?.sum ?? metric?.histogram ?? metric?.exponentialHistogram ?? metric?.summary;
        points += length(data?.dataPoints);
      }
    }
  }
  return points;
}
