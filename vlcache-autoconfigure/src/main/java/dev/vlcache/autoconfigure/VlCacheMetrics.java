package dev.vlcache.autoconfigure;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;

import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheRequestListener;
import dev.vlcache.core.compression.CompressionReport;
import dev.vlcache.core.compression.LayerCompression;
import dev.vlcache.core.generation.GenerationResult;

/**
 * The {@code vlcache.*} meters: requests by outcome and policy, running and waiting requests, batch size per step,
 * queue wait, the KV-cache pool, prefill and decode timings, tokens by type, KV memory held and evicted, retained
 * ratio, and per-layer sparsity and budget. See the README's metrics table.
 */
public class VlCacheMetrics implements MeterBinder, VlCacheRequestListener {

	private final ObjectProvider<VlCacheChatModel> chatModel;

	private volatile @Nullable MeterRegistry registry;

	public VlCacheMetrics(ObjectProvider<VlCacheChatModel> chatModel) {
		this.chatModel = chatModel;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.registry = registry;
		Gauge.builder("vlcache.kv.cache.bytes", this.chatModel,
				p -> {
					VlCacheChatModel m = p.getIfAvailable();
					return m == null ? 0 : m.kvBytesInFlight();
				})
			.description("KV-cache bytes held right now by requests in flight")
			.baseUnit("bytes")
			.strongReference(true)
			.register(registry);
		gauge(registry, "vlcache.requests.active", "Requests admitted to the batch right now (prefilling or decoding)",
				null, VlCacheChatModel::activeRequests);
		gauge(registry, "vlcache.requests.waiting", "Requests waiting in the queue for admission", null,
				VlCacheChatModel::waitingRequests);
		gauge(registry, "vlcache.kv.pool.reserved.bytes",
				"KV-cache bytes reserved by the admitted requests (held plus room for their remaining tokens)", "bytes",
				VlCacheChatModel::kvBytesReserved);
		gauge(registry, "vlcache.kv.pool.budget.bytes", "KV-cache budget that admission fills (kv-cache-memory)",
				"bytes", VlCacheChatModel::kvCacheBudget);
	}

	private void gauge(MeterRegistry registry, String name, String description, @Nullable String unit,
			java.util.function.ToDoubleFunction<VlCacheChatModel> value) {
		Gauge.Builder<ObjectProvider<VlCacheChatModel>> builder = Gauge.builder(name, this.chatModel, p -> {
			VlCacheChatModel m = p.getIfAvailable();
			return m == null ? 0 : value.applyAsDouble(m);
		}).description(description).strongReference(true);
		if (unit != null) {
			builder.baseUnit(unit);
		}
		builder.register(registry);
	}

	@Override
	public void onDecodeStep(int batchSize) {
		MeterRegistry r = this.registry;
		if (r != null) {
			DistributionSummary.builder("vlcache.batch.size")
				.description("Requests decoded together per decoding step")
				.register(r)
				.record(batchSize);
		}
	}

	@Override
	public void onAdmitted(java.time.Duration queueWait) {
		MeterRegistry r = this.registry;
		if (r != null) {
			Timer.builder("vlcache.queue.wait")
				.description("Time a request waited in the queue before admission")
				.register(r)
				.record(queueWait);
		}
	}

	@Override
	public void onSuccess(String policy, GenerationResult result) {
		MeterRegistry r = this.registry;
		if (r == null) {
			return;
		}
		requests(r, "success", policy);
		Timer.builder("vlcache.prefill.duration")
			.description("Vision encoding and prefill of a prompt")
			.tag("policy", policy)
			.register(r)
			.record(result.prefillNanos(), TimeUnit.NANOSECONDS);
		Timer.builder("vlcache.decode.duration")
			.description("Decoding of a response after its first token")
			.tag("policy", policy)
			.register(r)
			.record(result.decodeNanos(), TimeUnit.NANOSECONDS);
		tokens(r, "prompt", result.promptTokens() - result.imageTokens());
		tokens(r, "image", result.imageTokens());
		tokens(r, "completion", result.completionTokens());
		CompressionReport report = result.compression();
		DistributionSummary.builder("vlcache.kv.cache.retained.ratio")
			.description("Share of the prompt's KV-cache bytes kept after compression")
			.tag("policy", policy)
			.register(r)
			.record(report.retainedRatio());
		Counter.builder("vlcache.kv.cache.evicted.bytes")
			.description("KV-cache bytes freed by compression")
			.baseUnit("bytes")
			.tag("policy", policy)
			.register(r)
			.increment(report.evictedBytes());
		for (LayerCompression layer : report.layers()) {
			String tag = Integer.toString(layer.layer());
			if (!Double.isNaN(layer.sparsity())) {
				DistributionSummary.builder("vlcache.layer.sparsity")
					.description("Attention sparsity of a layer's scoring window")
					.tag("layer", tag)
					.register(r)
					.record(layer.sparsity());
			}
			DistributionSummary.builder("vlcache.layer.budget.ratio")
				.description("Share of the prompt a layer keeps after compression")
				.tag("layer", tag)
				.register(r)
				.record(report.promptTokens() == 0 ? 1.0 : (double) layer.budget() / report.promptTokens());
		}
	}

	@Override
	public void onError(String policy, Throwable error) {
		MeterRegistry r = this.registry;
		if (r != null) {
			requests(r, "error", policy);
		}
	}

	@Override
	public void onRejected(String policy) {
		MeterRegistry r = this.registry;
		if (r != null) {
			requests(r, "rejected", policy);
		}
	}

	private static void requests(MeterRegistry r, String outcome, String policy) {
		Counter.builder("vlcache.requests")
			.description("Chat requests by outcome (success, error, rejected) and compression policy")
			.tag("outcome", outcome)
			.tag("policy", policy)
			.register(r)
			.increment();
	}

	private static void tokens(MeterRegistry r, String type, long count) {
		Counter.builder("vlcache.tokens")
			.description("Tokens processed, by type: prompt (text), image, completion")
			.tag("type", type)
			.register(r)
			.increment(count);
	}

}
