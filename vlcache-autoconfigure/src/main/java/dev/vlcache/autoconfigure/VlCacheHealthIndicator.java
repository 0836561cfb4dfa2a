package dev.vlcache.autoconfigure;

import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.vlcache.ai.VlCacheChatModel;
import dev.vlcache.ai.VlCacheRequestListener;
import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.generation.GenerationResult;

/**
 * Health of the vlcache model: UP with the model, device, dtype, parameter count and the KV-cache pool (held,
 * reserved, budget) with the running and waiting requests; DOWN when the scheduler has stopped, when
 * the model is closed or the last requests all failed inside the engine (bad input does not count).
 */
public class VlCacheHealthIndicator extends AbstractHealthIndicator implements VlCacheRequestListener {

	/** Consecutive engine failures that mark the model DOWN. */
	static final int FAILURES_FOR_DOWN = 3;

	private final ObjectProvider<VlCacheChatModel> chatModel;

	private final AtomicInteger consecutiveFailures = new AtomicInteger();

	private volatile String lastFailure = "";

	public VlCacheHealthIndicator(ObjectProvider<VlCacheChatModel> chatModel) {
		super("vlcache health check failed");
		this.chatModel = chatModel;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		VlCacheChatModel chat = this.chatModel.getIfAvailable();
		if (chat == null) {
			builder.down().withDetail("reason", "no vlcache chat model in the application context");
			return;
		}
		LlavaModel model = chat.getModel();
		builder.withDetail("model", model.name())
			.withDetail("folder", model.folder().toString())
			.withDetail("device", model.deviceName())
			.withDetail("dtype", model.dtypeName())
			.withDetail("weights", model.weightsName())
			.withDetail("parameters", model.parameterCount())
			.withDetail("kvCacheBytes", chat.kvBytesInFlight())
			.withDetail("kvCacheReservedBytes", chat.kvBytesReserved())
			.withDetail("kvCacheBudgetBytes", chat.kvCacheBudget())
			.withDetail("activeRequests", chat.activeRequests())
			.withDetail("waitingRequests", chat.waitingRequests())
			.withDetail("maxBatchSize", chat.getMaxBatchSize());
		if (!model.isOpen()) {
			builder.down().withDetail("reason", "the model has been closed");
		}
		else if (!chat.isServing()) {
			builder.down().withDetail("reason", "the request scheduler has stopped");
		}
		else if (this.consecutiveFailures.get() >= FAILURES_FOR_DOWN) {
			builder.down()
				.withDetail("reason", "the last " + this.consecutiveFailures.get() + " requests failed in the engine: "
						+ this.lastFailure);
		}
		else {
			builder.up();
		}
	}

	@Override
	public void onSuccess(String policy, GenerationResult result) {
		this.consecutiveFailures.set(0);
	}

	@Override
	public void onError(String policy, Throwable error) {
		// Bad input is the caller's problem, not the engine's.
		if (!(error instanceof IllegalArgumentException)) {
			this.lastFailure = String.valueOf(error.getMessage());
			this.consecutiveFailures.incrementAndGet();
		}
	}

}
