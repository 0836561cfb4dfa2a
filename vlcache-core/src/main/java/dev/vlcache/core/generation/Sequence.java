package dev.vlcache.core.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import org.jspecify.annotations.Nullable;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.compression.CacheCompressor;
import dev.vlcache.core.compression.CompressionPolicies;
import dev.vlcache.core.compression.CompressionPolicy;
import dev.vlcache.core.compression.CompressionReport;
import dev.vlcache.core.compression.CompressionRun;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.image.ImageDecoder;
import dev.vlcache.core.image.RgbImage;
import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.text.RotaryPositions;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.core.tokenizer.IncrementalDecoder;

/**
 * One request's generation as a sequence of steps, so that a driver can run it alone ({@link Generator}) or beside
 * others in one forward pass ({@code dev.vlcache.core.serving.BatchScheduler}). {@link #prepare} decodes the
 * images and encodes the prompt (no model work, so bad input fails before anything is queued); {@link #begin}
 * allocates the request's cache; {@link #prefill} runs the vision tower and then the prompt, piece by piece, and
 * compresses the cache once at the end; the driver then feeds {@link #nextToken()} through a decoding step and
 * hands the logits to {@link #acceptStep}, until {@link #isFinished()}.
 *
 * <p>
 * Sampling, EOS, stop strings, the token limit, streaming and cancellation are all per sequence. The sequence owns
 * its arrays (cache, prompt embeddings): {@link #close()} frees them whatever the outcome. Not thread-safe: one
 * driver thread at a time.
 */
public final class Sequence implements AutoCloseable {

	/** Where a sequence is in its life. */
	public enum State {

		/** Prompt encoded; no arrays yet. */
		PREPARED,
		/** Cache allocated; vision tower and prompt prefill under way. */
		PREFILLING,
		/** Compressed; one token per decoding step. */
		DECODING,
		/** Done: {@link #result()} is available. */
		FINISHED

	}

	private final LlavaModel model;

	private final GenerationRequest request;

	private final CompressionPolicy policy;

	private final List<PreparedImage> images;

	private final EncodedPrompt prompt;

	private final int maxNew;

	private final long bytesPerToken;

	private final TokenListener listener;

	private final BooleanSupplier cancelled;

	private final Set<Integer> eosIds;

	private final Sampler sampler;

	private final IncrementalDecoder decoder;

	private final StopSequenceMatcher stops;

	private final long created = System.nanoTime();

	private final long prepared;

	private State state = State.PREPARED;

	private @Nullable NDManager manager;

	private @Nullable NDManager prefillScope;

	private @Nullable NDArray embeddings;

	private @Nullable KvCache cache;

	private @Nullable CompressionRun run;

	private @Nullable CompressionReport report;

	private int prefilled;

	private int decodeSteps;

	private int[] tokens = new int[16];

	private int generated;

	private FinishReason finish = FinishReason.LENGTH;

	private @Nullable GenerationResult result;

	private long begun;

	private long prefillEnd;

	private long firstToken;

	private long decodeStart;

	private Sequence(LlavaModel model, GenerationRequest request, TokenListener listener, BooleanSupplier cancelled) {
		this.model = model;
		this.request = request;
		this.listener = listener;
		this.cancelled = cancelled;
		this.policy = CompressionPolicies.get(request.compression().policy());
		List<RgbImage> decoded = new ArrayList<>();
		for (ImageInput image : request.images()) {
			decoded.add(ImageDecoder.decode(image.bytes(), image.name()));
		}
		this.images = model.prepareImages(decoded);
		this.prompt = model.encodePrompt(request.messages(), this.images, true, 1);
		int contextLength = model.config().text().maxPositionEmbeddings();
		this.maxNew = Math.min(request.sampling().maxNewTokens(), contextLength - this.prompt.length());
		this.bytesPerToken = model.kvBytesPerToken();
		this.eosIds = model.eosTokenIds();
		this.sampler = new Sampler(request.sampling());
		this.decoder = new IncrementalDecoder(model.tokenizer());
		this.stops = new StopSequenceMatcher(request.sampling().stop());
		this.prepared = System.nanoTime();
	}

	/**
	 * Decodes and preprocesses the request's images and encodes its prompt.
	 * @throws IllegalArgumentException for bad input (images, prompt length, policy); nothing was allocated
	 */
	public static Sequence prepare(LlavaModel model, GenerationRequest request, TokenListener listener,
			BooleanSupplier cancelled) {
		return new Sequence(model, request, listener, cancelled);
	}

	public State state() {
		return this.state;
	}

	public boolean isFinished() {
		return this.state == State.FINISHED;
	}

	/** Prompt length, image tokens included. */
	public int promptTokens() {
		return this.prompt.length();
	}

	/** Tokens generated so far. */
	public int generatedTokens() {
		return this.generated;
	}

	/** Most tokens this sequence may generate (the request's limit, capped by the context). */
	public int maxNewTokens() {
		return this.maxNew;
	}

	/**
	 * KV-cache bytes this sequence may hold from now until it ends: before compression its whole prompt plus one
	 * entry per token it may generate, as its cache is allocated; after compression the kept entries plus the
	 * entries still to come. Never grows: each decoding step turns one reserved entry into a held one.
	 */
	public long reservedKvBytes() {
		if (this.state == State.DECODING) {
			return heldKvBytes() + this.bytesPerToken * (this.maxNew - this.decodeSteps);
		}
		if (this.state == State.FINISHED) {
			return 0;
		}
		return this.bytesPerToken * ((long) this.prompt.length() + this.maxNew);
	}

	/** KV-cache bytes held right now. */
	public long heldKvBytes() {
		KvCache c = this.cache;
		return c == null || this.state == State.FINISHED ? 0 : c.bytes();
	}

	/** Entries held per layer (empty before {@link #begin}). */
	public int[] cacheLengths() {
		KvCache c = this.cache;
		return c == null ? new int[0] : c.lengths();
	}

	/**
	 * Finishes the sequence as cancelled when its caller gave up; a sequence that is already finished stays as
	 * it is.
	 * @return whether the sequence is finished now
	 */
	public boolean checkCancelled() {
		if (this.state != State.FINISHED && this.cancelled.getAsBoolean()) {
			finish(FinishReason.CANCELLED);
		}
		return this.state == State.FINISHED;
	}

	/** Allocates the request's arrays (its cache with room for the whole generation) and starts the policy. */
	public void begin() {
		requireState(State.PREPARED);
		this.begun = System.nanoTime();
		this.manager = this.model.newRequestManager();
		this.cache = this.model.newCache(this.manager, this.prompt.length() + this.maxNew);
		this.run = this.policy.begin(this.prompt.layout(), this.request.compression(), this.model.numLayers());
		this.state = State.PREFILLING;
	}

	/**
	 * Runs the next piece of the prefill: first the vision tower and projector (the prompt's embeddings), then at
	 * most {@code maxTokens} prompt tokens per call ({@code 0}: all that remain). After the last piece the cache is
	 * compressed and the first token sampled.
	 * @return whether the prefill is complete
	 */
	public boolean prefill(int maxTokens) {
		requireState(State.PREFILLING);
		NDManager requestManager = this.manager;
		KvCache c = this.cache;
		CompressionRun r = this.run;
		if (requestManager == null || c == null || r == null) {
			throw new IllegalStateException("begin() allocates the sequence before prefill");
		}
		int n = this.prompt.length();
		if (this.embeddings == null) {
			NDManager scope = requestManager.newSubManager();
			this.prefillScope = scope;
			this.embeddings = this.model.promptEmbeddings(scope, this.prompt, this.images);
			// The vision tower is a piece of its own when the prompt is prefilled in pieces.
			if (maxTokens > 0) {
				return false;
			}
		}
		NDArray prompt = this.embeddings;
		int end = maxTokens > 0 ? Math.min(n, this.prefilled + maxTokens) : n;
		float[] logits = null;
		try (NDManager pieceScope = requestManager.newSubManager()) {
			NDArray piece = this.prefilled == 0 && end == n ? prompt
					: prompt.get(pieceScope, new NDIndex("{}:{}", this.prefilled, end));
			NDArray out = this.model.prefill(pieceScope, piece, c, this.prefilled, n, r, this.prompt.positions(),
					end == n);
			if (out != null) {
				logits = out.toFloatArray();
			}
		}
		this.prefilled = end;
		if (end < n) {
			return false;
		}
		if (logits == null) {
			throw new IllegalStateException("the last prefill piece returned no logits");
		}
		closePrefillScope();
		this.prefillEnd = System.nanoTime();
		this.report = CacheCompressor.apply(c, r, this.policy.name(), this.request.compression(),
				this.prompt.layout(), this.maxNew);
		this.state = State.DECODING;
		accept(logits);
		return true;
	}

	/** The token the next decoding step feeds: the last one sampled. */
	public long nextToken() {
		requireState(State.DECODING);
		return this.tokens[this.generated - 1];
	}

	/** The sequence index of {@link #nextToken()}. */
	public int nextIndex() {
		return this.prompt.length() + this.decodeSteps;
	}

	/** The request's cache, which the next decoding step appends to. */
	public KvCache cache() {
		KvCache c = this.cache;
		if (c == null) {
			throw new IllegalStateException("no cache before begin()");
		}
		return c;
	}

	/** The request's rotary positions. */
	public RotaryPositions rotary() {
		return this.prompt.positions();
	}

	/** Takes the logits [vocab] of a decoding step that fed {@link #nextToken()}: samples and streams a token. */
	public void acceptStep(float[] logits) {
		requireState(State.DECODING);
		this.decodeSteps++;
		accept(logits);
	}

	private void accept(float[] logits) {
		int token = this.sampler.next(logits);
		if (this.generated == 0) {
			this.firstToken = System.nanoTime();
			this.decodeStart = this.firstToken;
		}
		if (this.request.sampling().stopOnEos() && this.eosIds.contains(token)) {
			finish(FinishReason.STOP);
			return;
		}
		if (this.generated == this.tokens.length) {
			this.tokens = Arrays.copyOf(this.tokens, this.tokens.length * 2);
		}
		this.tokens[this.generated++] = token;
		String piece = this.stops.add(this.decoder.add(token));
		this.listener.onToken(token, piece);
		if (this.stops.stopped()) {
			finish(FinishReason.STOP_SEQUENCE);
		}
		else if (this.generated >= this.maxNew) {
			finish(FinishReason.LENGTH);
		}
	}

	private void finish(FinishReason reason) {
		this.finish = reason;
		this.state = State.FINISHED;
		long end = System.nanoTime();
		closePrefillScope();
		String tail = this.stops.flush();
		int n = this.prompt.length();
		int imageTokens = this.prompt.layout().imageTokenCount();
		CompressionReport compression = this.report != null ? this.report
				: new CompressionReport(this.policy.name(), this.request.compression(), 0, n, imageTokens, List.of(), 0,
						0, 0, 0);
		long queued = (this.begun == 0 ? end : this.begun) - this.prepared;
		long prefill = this.prefillEnd == 0 ? 0 : this.prefillEnd - this.created - queued;
		long first = this.firstToken == 0 ? 0 : this.firstToken - this.created;
		long decode = this.decodeStart == 0 ? 0 : end - this.decodeStart;
		this.result = new GenerationResult(this.stops.text(), Arrays.copyOf(this.tokens, this.generated), reason, n,
				imageTokens, compression, prefill, first, decode, end - this.created, queued);
		// Last: a listener that throws here fails the request, which the driver reports.
		if (!tail.isEmpty()) {
			this.listener.onToken(-1, tail);
		}
	}

	/** The outcome; only once {@link #isFinished()}. */
	public GenerationResult result() {
		GenerationResult r = this.result;
		if (r == null) {
			throw new IllegalStateException("the sequence has not finished");
		}
		return r;
	}

	private void requireState(State expected) {
		if (this.state != expected) {
			throw new IllegalStateException("sequence is " + this.state + ", expected " + expected);
		}
	}

	private void closePrefillScope() {
		NDManager scope = this.prefillScope;
		if (scope != null) {
			scope.close();
			this.prefillScope = null;
			this.embeddings = null;
		}
	}

	/** Frees the sequence's arrays. */
	@Override
	public void close() {
		closePrefillScope();
		NDManager m = this.manager;
		if (m != null) {
			m.close();
			this.manager = null;
		}
		if (this.state != State.FINISHED) {
			this.state = State.FINISHED;
		}
	}

}
