/**
 * Decodes an OTLP `ExportTraceServiceRequest` from protobuf (the body of an
 * http/protobuf export, the message of a gRPC one) into the shape of its
 * OTLP/JSON form, ids as hex, so one reader serves the three protocols.
 * The schema is the part of opentelemetry-proto's trace.proto, common.proto
 * and resource.proto the receiver reads, with their field numbers (enums as
 * int32, which is their wire type); the @opentelemetry packages installed
 * encode with hand-written code and ship no .proto to load.
 */
import { parse } from 'protobufjs';

const SCHEMA = `
syntax = "proto3";
package otlp;

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { repeated Span spans = 2; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  repeated KeyValue attributes = 9;
  Status status = 15;
}
message Status { int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
  }
}
`;

const REQUEST = parse(SCHEMA).root.lookupType('otlp.ExportTraceServiceRequest');

/** Byte fields become hex, as OTLP/JSON writes them. */
function hexBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(hexBytes);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hexBytes(v)]));
  return value;
}

/** The request as OTLP/JSON would carry it (camelCase fields, hex ids, numbers for int64). */
export function decodeTraceRequest(body: Uint8Array): unknown {
  return hexBytes(REQUEST.toObject(REQUEST.decode(body), { longs: Number }));
}
