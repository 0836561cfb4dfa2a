package dev.vlcache.ai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.model.MessageAggregator;
import org.springframework.ai.chat.observation.ChatModelObservationContext;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.ai.chat.observation.ChatModelObservationDocumentation;
import org.springframework.ai.chat.observation.DefaultChatModelObservationConvention;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.util.Assert;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.compression.CompressionOptions;
import dev.vlcache.core.generation.GenerationRequest;
import dev.vlcache.core.generation.GenerationResult;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.generation.TokenListener;
import dev.vlcache.core.serving.BatchScheduler;
import dev.vlcache.core.serving.KvMemoryPool;
import dev.vlcache.core.serving.QueueTimeoutException;
import dev.vlcache.core.serving.SchedulerListener;
import dev.vlcache.core.serving.SchedulerOptions;
import dev.vlcache.core.serving.SequenceSnapshot;

/**
 * A Spring AI {@link ChatModel} (and streaming model) that runs a local LLaVA-family model with VL-Cache
 * KV-cache compression. User messages carry images as {@code Media}; each response's metadata holds the token
 * usage (with image tokens) and the {@link CompressionMetadata compression report}.
 *
 * <p>
 * Requests are served by continuous batching ({@link BatchScheduler}): the running requests decode together, one
 * forward pass per token for all of them, and a request is admitted when its KV cache fits in the
 * {@code kvCacheMemory} budget beside theirs and fewer than {@code maxBatchSize} run. One that is not admitted
 * within {@code acquireTimeout} fails with {@link VlCacheBusyException}. Bad input (an unreadable image, a prompt
 * over the context length or the KV budget, invalid options) fails that request with an
 * {@link IllegalArgumentException} and nothing else. Cancelling a stream stops its generation before the next step
 * and frees the request's memory; the other requests in the batch carry on.
 */
public final class VlCacheChatModel implements ChatModel {

	/** The provider name in observations. */
	public static final String PROVIDER = "vlcache";

	/** Response metadata key of the {@link CompressionMetadata}. */
	public static final String METADATA_COMPRESSION = "compression";

	/** Response metadata key of the number of image tokens in the prompt. */
	public static final String METADATA_IMAGE_TOKENS = "image-tokens";

	/** Response metadata key of timings in milliseconds (prefill, first token, decode per token, total). */
	public static final String METADATA_TIMINGS = "timings";

	private static final ChatModelObservationConvention DEFAULT_CONVENTION = new DefaultChatModelObservationConvention();

	private final LlavaModel model;

	private final BatchScheduler batchScheduler;

	private final VlCacheChatOptions defaultOptions;

	private final ObservationRegistry observationRegistry;

	private final List<VlCacheRequestListener> listeners;

	private ChatModelObservationConvention observationConvention = DEFAULT_CONVENTION;

	private VlCacheChatModel(Builder b) {
		Assert.notNull(b.model, "model must not be null");
		Assert.isTrue(b.maxBatchSize >= 1, "maxBatchSize must be at least 1");
		Assert.isTrue(b.kvCacheMemory >= 0, "kvCacheMemory must not be negative (0 = default)");
		Assert.isTrue(b.prefillStepTokens >= 0, "prefillStepTokens must not be negative");
		Assert.isTrue(!b.acquireTimeout.isNegative(), "acquireTimeout must not be negative");
		this.model = b.model;
		this.defaultOptions = b.defaultOptions;
		this.observationRegistry = b.observationRegistry;
		this.listeners = List.copyOf(b.listeners);
		// Fail fast on invalid defaults rather than on the first request.
		this.defaultOptions.toSamplingOptions();
		this.defaultOptions.toCompressionOptions();
		long budget = b.kvCacheMemory > 0 ? b.kvCacheMemory : KvMemoryPool.defaultBudget(b.model.device());
		this.batchScheduler = new BatchScheduler(b.model,
				new SchedulerOptions(budget, b.maxBatchSize, b.prefillStepTokens, b.acquireTimeout),
				new ListenerEvents(this.listeners))
			.start();
	}

	/** Passes the scheduler's events on to the request listeners. */
	private record ListenerEvents(List<VlCacheRequestListener> listeners) implements SchedulerListener {

		@Override
		public void onDecodeStep(int batchSize) {
			this.listeners.forEach(l -> l.onDecodeStep(batchSize));
		}

		@Override
		public void onAdmitted(long queueNanos) {
			this.listeners.forEach(l -> l.onAdmitted(Duration.ofNanos(queueNanos)));
		}

	}

	public static Builder builder() {
		return new Builder();
	}

	public LlavaModel getModel() {
		return this.model;
	}

	@Override
	public VlCacheChatOptions getOptions() {
		return this.defaultOptions;
	}

	/** KV-cache bytes held right now by the running requests. */
	public long kvBytesInFlight() {
		return this.batchScheduler.heldKvBytes();
	}

	/** KV-cache bytes reserved right now: held, plus room for the tokens the running requests may still add. */
	public long kvBytesReserved() {
		return this.batchScheduler.reservedKvBytes();
	}

	/** The KV-cache budget in bytes that admission fills. */
	public long kvCacheBudget() {
		return this.batchScheduler.kvBudgetBytes();
	}

	/** Requests admitted right now (prefilling or decoding). */
	public int activeRequests() {
		return this.batchScheduler.runningCount();
	}

	/** Requests waiting for admission. */
	public int waitingRequests() {
		return this.batchScheduler.waitingCount();
	}

	/** The admitted requests with their cache sizes. */
	public List<SequenceSnapshot> runningRequests() {
		return this.batchScheduler.running();
	}

	/** Whether the scheduler still serves (its thread runs and it was not shut down). */
	public boolean isServing() {
		return this.batchScheduler.isOpen();
	}

	/** Most requests decoding at once. */
	public int getMaxBatchSize() {
		return this.batchScheduler.options().maxBatchSize();
	}

	/** Prompt tokens prefilled between two decoding steps of the running requests (0: whole prompts). */
	public int getPrefillStepTokens() {
		return this.batchScheduler.options().prefillStepTokens();
	}

	public void setObservationConvention(ChatModelObservationConvention observationConvention) {
		Assert.notNull(observationConvention, "observationConvention must not be null");
		this.observationConvention = observationConvention;
	}

	@Override
	public ChatResponse call(Prompt prompt) {
		Assert.notNull(prompt, "prompt must not be null");
		VlCacheChatOptions options = this.defaultOptions.overrides(prompt.getOptions());
		Prompt request = prompt.mutate().chatOptions(options).build();
		ChatModelObservationContext context = ChatModelObservationContext.builder()
			.prompt(request)
			.provider(PROVIDER)
			.build();
		return ChatModelObservationDocumentation.CHAT_MODEL_OPERATION
			.observation(this.observationConvention, DEFAULT_CONVENTION, () -> context, this.observationRegistry)
			.observe(() -> {
				ChatResponse response = generate(request, options);
				context.setResponse(response);
				return response;
			});
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		Assert.notNull(prompt, "prompt must not be null");
		VlCacheChatOptions options = this.defaultOptions.overrides(prompt.getOptions());
		Prompt request = prompt.mutate().chatOptions(options).build();
		return Flux.deferContextual(contextView -> {
			ChatModelObservationContext context = ChatModelObservationContext.builder()
				.prompt(request)
				.provider(PROVIDER)
				.streaming(true)
				.build();
			Observation observation = ChatModelObservationDocumentation.CHAT_MODEL_OPERATION
				.observation(this.observationConvention, DEFAULT_CONVENTION, () -> context, this.observationRegistry);
			Observation parent = contextView.getOrDefault(ObservationThreadLocalAccessor.KEY, null);
			observation.parentObservation(parent);
			observation.start();
			Flux<ChatResponse> chunks = Flux.<ChatResponse>create(sink -> {
				AtomicBoolean cancelled = new AtomicBoolean();
				sink.onDispose(() -> cancelled.set(true));
				try {
					// Streamed pieces are pushed from the scheduler thread as they are decoded.
					BatchScheduler.Submission submission = submit(request, options, (id, text) -> {
						if (!text.isEmpty() && !cancelled.get()) {
							sink.next(chunk(text));
						}
					}, cancelled::get);
					submission.result().whenComplete((result, error) -> {
						if (error != null) {
							sink.error(reported(options, error));
						}
						else {
							sink.next(succeeded(options, result, ""));
							sink.complete();
						}
					});
				}
				catch (RuntimeException ex) {
					sink.error(ex);
				}
			})
				.doOnError(observation::error)
				.doFinally(s -> observation.stop())
				.contextWrite(ctx -> ctx.put(ObservationThreadLocalAccessor.KEY, observation));
			return new MessageAggregator().aggregate(chunks, context::setResponse);
		});
	}

	/** A streamed piece of text without metadata. */
	private static ChatResponse chunk(String text) {
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text))));
	}

	/** Runs one generation in the batch and waits for it. */
	private ChatResponse generate(Prompt prompt, VlCacheChatOptions options) {
		AtomicBoolean interrupted = new AtomicBoolean();
		BatchScheduler.Submission submission = submit(prompt, options, TokenListener.NONE, interrupted::get);
		GenerationResult result;
		try {
			result = submission.result().get();
		}
		catch (InterruptedException ex) {
			// The caller gave up: the request leaves the batch at its next step.
			interrupted.set(true);
			Thread.currentThread().interrupt();
			throw new IllegalStateException("interrupted while generating", ex);
		}
		catch (ExecutionException ex) {
			throw reported(options, ex.getCause() != null ? ex.getCause() : ex);
		}
		return succeeded(options, result, result.text());
	}

	/**
	 * Converts and queues one request.
	 * @throws IllegalArgumentException for bad input, reported to the listeners
	 */
	private BatchScheduler.Submission submit(Prompt prompt, VlCacheChatOptions options, TokenListener tokens,
			BooleanSupplier cancelled) {
		try {
			SamplingOptions sampling = options.toSamplingOptions();
			CompressionOptions compression = options.toCompressionOptions();
			PromptConverter.Converted converted = PromptConverter.convert(prompt.getInstructions());
			GenerationRequest request = new GenerationRequest(converted.messages(), converted.images(), sampling,
					compression);
			return this.batchScheduler.submit(request, tokens, cancelled);
		}
		catch (RuntimeException ex) {
			this.listeners.forEach(l -> l.onError(policy(options), ex));
			throw ex;
		}
	}

	private ChatResponse succeeded(VlCacheChatOptions options, GenerationResult result, String text) {
		this.listeners.forEach(l -> l.onSuccess(policy(options), result));
		return toResponse(result, text);
	}

	/** Tells the listeners how a queued request failed; returns the exception the caller sees. */
	private RuntimeException reported(VlCacheChatOptions options, Throwable error) {
		Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
		String policy = policy(options);
		if (cause instanceof QueueTimeoutException timeout) {
			this.listeners.forEach(l -> l.onRejected(policy));
			return new VlCacheBusyException(timeout.getMessage(), timeout.waited());
		}
		this.listeners.forEach(l -> l.onError(policy, cause));
		return cause instanceof RuntimeException runtime ? runtime : new IllegalStateException(cause);
	}

	private static String policy(VlCacheChatOptions options) {
		return options.getPolicy() != null ? options.getPolicy() : CompressionOptions.DEFAULT_VL_CACHE.policy();
	}

	private ChatResponse toResponse(GenerationResult result, String text) {
		ChatGenerationMetadata generationMetadata = ChatGenerationMetadata.builder()
			.finishReason(result.finishReason().name())
			.build();
		VlCacheUsage usage = new VlCacheUsage(result.promptTokens(), result.imageTokens(), result.completionTokens());
		ChatResponseMetadata metadata = ChatResponseMetadata.builder()
			.id(UUID.randomUUID().toString())
			.model(this.model.name())
			.usage(new DefaultUsage(result.promptTokens(), result.completionTokens(),
					result.promptTokens() + result.completionTokens(), usage))
			.keyValue(METADATA_IMAGE_TOKENS, result.imageTokens())
			.keyValue(METADATA_COMPRESSION, CompressionMetadata.of(result.compression()))
			.keyValue(METADATA_TIMINGS, new Timings(result.queueNanos() / 1e6, result.prefillNanos() / 1e6,
					result.firstTokenNanos() / 1e6, result.decodeNanosPerToken() / 1e6, result.totalNanos() / 1e6))
			.build();
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text), generationMetadata)), metadata);
	}

	/**
	 * Timings of one response in milliseconds.
	 *
	 * @param queue waiting for admission to the batch
	 * @param prefill vision encoding and prefill
	 * @param firstToken time to the first generated token
	 * @param decodePerToken mean decoding step after the first token
	 * @param total the whole request
	 */
	public record Timings(double queue, double prefill, double firstToken, double decodePerToken, double total) {
	}

	/**
	 * Stops the scheduler: requests still queued or running fail, their memory is freed. The {@link LlavaModel} is
	 * closed by its owner.
	 */
	public void shutdown() {
		this.batchScheduler.close();
	}

	/** Builder of {@link VlCacheChatModel}. */
	public static final class Builder {

		private @Nullable LlavaModel model;

		private VlCacheChatOptions defaultOptions = VlCacheChatOptions.builder().build();

		private ObservationRegistry observationRegistry = ObservationRegistry.NOOP;

		private final List<VlCacheRequestListener> listeners = new ArrayList<>();

		private int maxBatchSize = SchedulerOptions.DEFAULT_MAX_BATCH_SIZE;

		private long kvCacheMemory;

		private int prefillStepTokens = SchedulerOptions.DEFAULT_PREFILL_STEP_TOKENS;

		private Duration acquireTimeout = Duration.ofSeconds(30);

		public Builder model(LlavaModel model) {
			this.model = model;
			return this;
		}

		public Builder defaultOptions(VlCacheChatOptions defaultOptions) {
			this.defaultOptions = defaultOptions;
			return this;
		}

		public Builder defaultOptions(ChatOptions defaultOptions) {
			this.defaultOptions = VlCacheChatOptions.from(defaultOptions);
			return this;
		}

		public Builder observationRegistry(ObservationRegistry observationRegistry) {
			this.observationRegistry = observationRegistry;
			return this;
		}

		public Builder listener(VlCacheRequestListener listener) {
			this.listeners.add(listener);
			return this;
		}

		/** Most requests decoding together (default {@value SchedulerOptions#DEFAULT_MAX_BATCH_SIZE}). */
		public Builder maxBatchSize(int maxBatchSize) {
			this.maxBatchSize = maxBatchSize;
			return this;
		}

		/**
		 * The KV-cache budget of the running requests in bytes; 0 (the default) takes
		 * {@link KvMemoryPool#defaultBudget a share of the device's memory}.
		 */
		public Builder kvCacheMemory(long bytes) {
			this.kvCacheMemory = bytes;
			return this;
		}

		/** Prompt tokens prefilled between two decoding steps of the running requests; 0 prefills whole prompts. */
		public Builder prefillStepTokens(int tokens) {
			this.prefillStepTokens = tokens;
			return this;
		}

		/** How long a request may wait for admission before it fails as busy. */
		public Builder acquireTimeout(Duration acquireTimeout) {
			this.acquireTimeout = acquireTimeout;
			return this;
		}

		public VlCacheChatModel build() {
			return new VlCacheChatModel(this);
		}

	}

}
