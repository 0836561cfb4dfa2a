package dev.vlcache.ai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.contextpropagation.ObservationThreadLocalAccessor;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

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
import dev.vlcache.core.generation.Generator;
import dev.vlcache.core.generation.SamplingOptions;
import dev.vlcache.core.generation.TokenListener;

/**
 * A Spring AI {@link ChatModel} (and streaming model) that runs a local LLaVA-family model with VL-Cache
 * KV-cache compression. User messages carry images as {@code Media}; each response's metadata holds the token
 * usage (with image tokens) and the {@link CompressionMetadata compression report}.
 *
 * <p>
 * At most {@code maxConcurrentRequests} generations run at once; a request that finds no free slot within
 * {@code acquireTimeout} fails with {@link VlCacheBusyException}. Bad input (an unreadable image, a prompt over
 * the context length, invalid options) fails that request with an {@link IllegalArgumentException} and nothing
 * else. Cancelling a stream stops generation before the next token and frees the request's memory.
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

	private final Generator generator;

	private final VlCacheChatOptions defaultOptions;

	private final ObservationRegistry observationRegistry;

	private final List<VlCacheRequestListener> listeners;

	private final Semaphore slots;

	private final int maxConcurrentRequests;

	private final Duration acquireTimeout;

	private final Scheduler scheduler;

	private ChatModelObservationConvention observationConvention = DEFAULT_CONVENTION;

	private VlCacheChatModel(Builder b) {
		Assert.notNull(b.model, "model must not be null");
		Assert.isTrue(b.maxConcurrentRequests >= 1, "maxConcurrentRequests must be at least 1");
		Assert.isTrue(!b.acquireTimeout.isNegative(), "acquireTimeout must not be negative");
		this.model = b.model;
		this.generator = new Generator(b.model);
		this.defaultOptions = b.defaultOptions;
		this.observationRegistry = b.observationRegistry;
		this.listeners = List.copyOf(b.listeners);
		this.maxConcurrentRequests = b.maxConcurrentRequests;
		this.slots = new Semaphore(b.maxConcurrentRequests, true);
		this.acquireTimeout = b.acquireTimeout;
		this.scheduler = Schedulers.newBoundedElastic(b.maxConcurrentRequests * 2 + 2, 1000, "vlcache-generate");
		// Fail fast on invalid defaults rather than on the first request.
		this.defaultOptions.toSamplingOptions();
		this.defaultOptions.toCompressionOptions();
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

	/** KV-cache bytes held right now by requests in flight. */
	public long kvBytesInFlight() {
		return this.generator.kvBytesInFlight();
	}

	/** Requests generating right now. */
	public int activeRequests() {
		return this.maxConcurrentRequests - this.slots.availablePermits();
	}

	public int getMaxConcurrentRequests() {
		return this.maxConcurrentRequests;
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
				ChatResponse response = generate(request, options, TokenListener.NONE, () -> false);
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
				this.scheduler.schedule(() -> {
					try {
						ChatResponse last = generate(request, options, (id, text) -> {
							if (!text.isEmpty() && !cancelled.get()) {
								sink.next(chunk(text));
							}
						}, cancelled::get);
						sink.next(last);
						sink.complete();
					}
					catch (Throwable ex) {
						sink.error(ex);
					}
				});
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

	/**
	 * Runs one generation under a concurrency slot. For streaming, the returned response carries no text (it was
	 * streamed already) but the finish reason, usage and compression report.
	 */
	private ChatResponse generate(Prompt prompt, VlCacheChatOptions options, TokenListener tokens,
			BooleanSupplier cancelled) {
		String policy = options.getPolicy() != null ? options.getPolicy() : CompressionOptions.DEFAULT_VL_CACHE.policy();
		GenerationRequest request;
		try {
			SamplingOptions sampling = options.toSamplingOptions();
			CompressionOptions compression = options.toCompressionOptions();
			PromptConverter.Converted converted = PromptConverter.convert(prompt.getInstructions());
			request = new GenerationRequest(converted.messages(), converted.images(), sampling, compression);
		}
		catch (RuntimeException ex) {
			this.listeners.forEach(l -> l.onError(policy, ex));
			throw ex;
		}
		acquire(policy);
		try {
			GenerationResult result = this.generator.generate(request, tokens, cancelled);
			this.listeners.forEach(l -> l.onSuccess(policy, result));
			boolean streaming = tokens != TokenListener.NONE;
			return toResponse(result, streaming ? "" : result.text());
		}
		catch (RuntimeException ex) {
			this.listeners.forEach(l -> l.onError(policy, ex));
			throw ex;
		}
		finally {
			this.slots.release();
		}
	}

	private void acquire(String policy) {
		boolean acquired;
		try {
			acquired = this.slots.tryAcquire(this.acquireTimeout.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			acquired = false;
		}
		if (!acquired) {
			this.listeners.forEach(l -> l.onRejected(policy));
			throw new VlCacheBusyException(this.maxConcurrentRequests, this.acquireTimeout);
		}
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
			.keyValue(METADATA_TIMINGS, new Timings(result.prefillNanos() / 1e6, result.firstTokenNanos() / 1e6,
					result.decodeNanosPerToken() / 1e6, result.totalNanos() / 1e6))
			.build();
		return new ChatResponse(List.of(new Generation(new AssistantMessage(text), generationMetadata)), metadata);
	}

	/**
	 * Timings of one response in milliseconds.
	 *
	 * @param prefill vision encoding and prefill
	 * @param firstToken time to the first generated token
	 * @param decodePerToken mean decoding step after the first token
	 * @param total the whole request
	 */
	public record Timings(double prefill, double firstToken, double decodePerToken, double total) {
	}

	/** Frees the generation threads; the {@link LlavaModel} is closed by its owner. */
	public void shutdown() {
		this.scheduler.dispose();
	}

	/** Builder of {@link VlCacheChatModel}. */
	public static final class Builder {

		private @Nullable LlavaModel model;

		private VlCacheChatOptions defaultOptions = VlCacheChatOptions.builder().build();

		private ObservationRegistry observationRegistry = ObservationRegistry.NOOP;

		private final List<VlCacheRequestListener> listeners = new ArrayList<>();

		private int maxConcurrentRequests = 1;

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

		public Builder maxConcurrentRequests(int maxConcurrentRequests) {
			this.maxConcurrentRequests = maxConcurrentRequests;
			return this;
		}

		public Builder acquireTimeout(Duration acquireTimeout) {
			this.acquireTimeout = acquireTimeout;
			return this;
		}

		public VlCacheChatModel build() {
			return new VlCacheChatModel(this);
		}

	}

}
