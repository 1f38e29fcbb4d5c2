// Sends question-answering traces as OpenInference spans to Vigil with the OpenTelemetry JavaScript SDK's
// OTLP/HTTP exporter (JSON), then prints the trace ids so judgments can be sent for them.
//   cd scripts/otlp-js && npm install && VIGIL_URL=http://127.0.0.1:5000 PIPELINE=qa node send-openinference.mjs
// The pipeline must exist (vigil pipelines apply -f ...) with retrieval, ranking, generation and validation stages.
import { context, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

const url = (process.env.VIGIL_URL ?? "http://127.0.0.1:5000") + "/v1/traces";
const pipeline = process.env.PIPELINE ?? "qa";
const count = Number(process.env.COUNT ?? 5);
const exporter = new OTLPTraceExporter({ url });
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "qa-app-js", "vigil.pipeline": pipeline }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const tracer = provider.getTracer("vigil-otlp-js-check");

const ids = [];
for (let i = 0; i < count; i++) {
  // tag.tags is an array attribute: OTLP/JSON sends it as an arrayValue, which Vigil flattens to tag.tags.0, tag.tags.1.
  const root = tracer.startSpan("qa", { attributes: { "openinference.span.kind": "CHAIN", "tag.tags": ["js", "check"] } });
  const ctx = trace.setSpan(context.active(), root);
  ids.push(root.spanContext().traceId);
  const docs = [["d1", 0.9, "Refunds take five business days."], ["d2", 0.7, "Shipping is free over 50 euros."]];
  const retriever = tracer.startSpan("retrieve", { attributes: { "openinference.span.kind": "RETRIEVER" } }, ctx);
  docs.forEach(([id, score, content], j) => retriever.setAttributes({
    [`retrieval.documents.${j}.document.id`]: id,
    [`retrieval.documents.${j}.document.score`]: score,
    [`retrieval.documents.${j}.document.content`]: content,
  }));
  retriever.end();
  const reranker = tracer.startSpan("rerank", { attributes: { "openinference.span.kind": "RERANKER" } }, ctx);
  docs.forEach(([id, score, content], j) => reranker.setAttributes({
    [`reranker.output_documents.${j}.document.id`]: id,
    [`reranker.output_documents.${j}.document.score`]: score,
    [`reranker.output_documents.${j}.document.content`]: content,
  }));
  reranker.end();
  const llm = tracer.startSpan("llm", { attributes: { "openinference.span.kind": "LLM", "output.value": "Refunds take five business days." } }, ctx);
  llm.end();
  const guard = tracer.startSpan("guard", { attributes: { "openinference.span.kind": "GUARDRAIL", "vigil.verdict": "pass" } }, ctx);
  guard.end();
  root.end();
}

await provider.forceFlush();
await provider.shutdown();
console.log(JSON.stringify({ sent: ids.length, trace_ids: ids }));
