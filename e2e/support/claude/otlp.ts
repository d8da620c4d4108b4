import type { RecordedRequest } from "./https-front";

/** An OTLP/HTTP JSON attribute value. */
interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface LogsBody {
  resourceLogs?: {
    resource?: { attributes?: KeyValue[] };
    scopeLogs?: { scope?: { name?: string; version?: string }; logRecords?: { timeUnixNano?: string; body?: AnyValue; attributes?: KeyValue[] }[] }[];
  }[];
}

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;

/** One OTLP log record flattened: Claude Code's events carry their name in `event.name` (body `claude_code.<name>`). */
export interface OtlpLogRecord {
  eventName: string;
  body: string;
  scope: string;
  attributes: Record<string, AttributeValue>;
  resource: Record<string, AttributeValue>;
}

function value(v: AnyValue | undefined): AttributeValue {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

function attributes(list: KeyValue[] | undefined): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
}

/** The log records of every `POST /v1/logs` with an OTLP/HTTP JSON body (protobuf bodies are skipped). */
export function otlpLogRecords(requests: readonly RecordedRequest[]): OtlpLogRecord[] {
  const records: OtlpLogRecord[] = [];
  for (const request of requests) {
    if (request.method !== "POST" || request.pathname !== "/v1/logs") continue;
    let body: LogsBody;
    try {
      body = JSON.parse(request.body.toString("utf8")) as LogsBody;
    } catch {
      continue;
    }
    for (const resourceLogs of body.resourceLogs ?? []) {
      const resource = attributes(resourceLogs.resource?.attributes);
      for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
        for (const record of scopeLogs.logRecords ?? []) {
          const attrs = attributes(record.attributes);
          const bodyText = value(record.body);
          records.push({
            eventName: typeof attrs["event.name"] === "string" ? attrs["event.name"] : String(bodyText ?? ""),
            body: typeof bodyText === "string" ? bodyText : JSON.stringify(bodyText),
            scope: scopeLogs.scope?.name ?? "",
            attributes: attrs,
            resource,
          });
        }
      }
    }
  }
  return records;
}
