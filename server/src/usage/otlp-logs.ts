import { SkillyardError } from "@skillyard/core";
import otlpRoot from "@opentelemetry/otlp-transformer/build/src/generated/root";

/** OTLP's AnyValue as OTLP/JSON writes it (and as protobufjs' toObject gives it, 64-bit ints as strings). */
export interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}

export interface KeyValue {
  key?: string;
  value?: AnyValue;
}

interface LogRecord {
  timeUnixNano?: string | number;
  observedTimeUnixNano?: string | number;
  body?: AnyValue;
  attributes?: KeyValue[];
}

/** ExportLogsServiceRequest, as decoded from either encoding. */
export interface ExportLogsRequest {
  resourceLogs?: { resource?: { attributes?: KeyValue[] }; scopeLogs?: { logRecords?: LogRecord[] }[] }[];
}

/** The protobuf types of OTLP's logs service, from the OpenTelemetry JS SDK's generated code (pinned version). */
interface ProtobufType {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: Record<string, unknown>): unknown;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: object): object;
}
const logsService = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { logs: { v1: Record<string, ProtobufType> } } } } }).opentelemetry.proto
  .collector.logs.v1;

/** The request body as JSON (`application/json`): BAD_REQUEST-style OTLP_BAD_REQUEST when it is not an OTLP logs request. */
export function decodeJsonLogs(body: Buffer): ExportLogsRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new SkillyardError("OTLP_BAD_REQUEST", "The body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new SkillyardError("OTLP_BAD_REQUEST", "The body is not an OTLP ExportLogsServiceRequest object.");
  const resourceLogs = (parsed as { resourceLogs?: unknown }).resourceLogs;
  if (resourceLogs !== undefined && !Array.isArray(resourceLogs)) throw new SkillyardError("OTLP_BAD_REQUEST", "resourceLogs is not an array.");
  return parsed as ExportLogsRequest;
}

/** The request body as protobuf (`application/x-protobuf`). */
export function decodeProtobufLogs(body: Buffer): ExportLogsRequest {
  const type = logsService.ExportLogsServiceRequest;
  try {
    return type.toObject(type.decode(body), { longs: String, enums: String, bytes: String, defaults: false, arrays: false }) as ExportLogsRequest;
  } catch {
    throw new SkillyardError("OTLP_BAD_REQUEST", "The body is not a protobuf ExportLogsServiceRequest.");
  }
}

/** ExportLogsServiceResponse, with partial success when some records were rejected. */
export function logsResponse(rejected: number, message: string, protobuf: boolean): { body: Buffer | string; contentType: string } {
  const response = rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } } : {};
  if (!protobuf) return { body: JSON.stringify(response), contentType: "application/json" };
  const type = logsService.ExportLogsServiceResponse;
  return { body: Buffer.from(type.encode(type.fromObject(response)).finish()), contentType: "application/x-protobuf" };
}

/** A google.rpc.Status (code and message), protobuf-encoded by hand: two fields need no schema. */
export function statusProtobuf(code: number, message: string): Buffer {
  const text = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from([0x08]), varint(code), Buffer.from([0x12]), varint(text.length), text]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value >>> 0;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** An attribute value as text (ints and bools too); undefined for absent or structured values. */
function scalar(value: AnyValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return String(value.intValue);
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  return undefined;
}

/** Attributes as a map of their scalar values (later duplicates win, as OTLP leaves them undefined). */
function attributeMap(attributes: KeyValue[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const kv of attributes ?? []) {
    const value = scalar(kv.value);
    if (typeof kv.key === "string" && value !== undefined) map.set(kv.key, value);
  }
  return map;
}

export interface OtlpLogRecord {
  resource: Map<string, string>;
  /** Built on first read: most records (prompts, API requests) are dropped by their name alone. */
  readonly attributes: Map<string, string>;
  /** The event name without the `claude_code.` prefix (from `event.name`, else the body). */
  eventName: string | undefined;
  /** Nanoseconds since the epoch as text, or undefined. */
  timeUnixNano: string | undefined;
}

/** One attribute's scalar value, without building the map (the last one wins, as in attributeMap). */
function attribute(attributes: KeyValue[] | undefined, key: string): string | undefined {
  let found: string | undefined;
  for (const kv of attributes ?? []) if (kv.key === key) found = scalar(kv.value) ?? found;
  return found;
}

/** Every log record of the request with its resource attributes, in order. */
export function* logRecords(request: ExportLogsRequest): Generator<OtlpLogRecord> {
  for (const resourceLogs of request.resourceLogs ?? []) {
    const resource = attributeMap(resourceLogs?.resource?.attributes);
    for (const scopeLogs of resourceLogs?.scopeLogs ?? []) {
      for (const record of scopeLogs?.logRecords ?? []) {
        const named = attribute(record?.attributes, "event.name") ?? scalar(record?.body);
        const time = record?.timeUnixNano ?? record?.observedTimeUnixNano;
        let attributes: Map<string, string> | undefined;
        yield {
          resource,
          get attributes() {
            return (attributes ??= attributeMap(record?.attributes));
          },
          eventName: named?.replace(/^claude_code\./, ""),
          timeUnixNano: time === undefined || time === null || String(time) === "0" ? undefined : String(time),
        };
      }
    }
  }
}
