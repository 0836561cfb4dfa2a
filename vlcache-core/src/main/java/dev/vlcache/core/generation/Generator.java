package dev.vlcache.core.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicLong;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

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
import dev.vlcache.core.text.AttentionObserver;
import dev.vlcache.core.tokenizer.EncodedPrompt;
import dev.vlcache.core.tokenizer.IncrementalDecoder;

/**
 * Runs requests on a {@link LlavaModel}: images are decoded and encoded, the prompt is prefilled while the
 * compression policy observes the attention rows it needs, the cache is compressed once, then tokens are decoded
 * one at a time until EOS, a stop string, the token limit or cancellation.
 *
 * <p>
 * Every array a request creates belongs to the request's manager and is freed when it ends, whatever the
 * outcome; the per-step arrays of decoding are freed at every step.
 */
public final class Generator {

	private final LlavaModel model;

	private final Set<Integer> eosIds;

	private final AtomicLong kvBytesInFlight = new AtomicLong();

	public Generator(LlavaModel model) {
		this.model = model;
		this.eosIds = model.eosTokenIds();
	}

	/** KV-cache bytes held right now by requests in flight. */
	public long kvBytesInFlight() {
		return this.kvBytesInFlight.get();
	}

	/** Generates without streaming or cancellation. */
	public GenerationResult generate(GenerationRequest request) {
		return generate(request, TokenListener.NONE, () -> false);
	}

	/**
	 * Generates, reporting text to {@code listener} as it is decoded and checking {@code cancelled} before every
	 * step.
	 * @throws IllegalArgumentException for bad input (images, prompt length, options); nothing was computed
	 */
	public GenerationResult generate(GenerationRequest request, TokenListener listener, BooleanSupplier cancelled) {
		long start = System.nanoTime();
		CompressionPolicy policy = CompressionPolicies.get(request.compression().policy());
		SamplingOptions sampling = request.sampling();
		List<RgbImage> images = new ArrayList<>();
		for (ImageInput image : request.images()) {
			images.add(ImageDecoder.decode(image.bytes(), image.name()));
		}
		List<PreparedImage> prepared = this.model.prepareImages(images);
		EncodedPrompt prompt = this.model.encodePrompt(request.messages(), prepared, true, 1);
		int n = prompt.length();
		int contextLength = this.model.config().text().maxPositionEmbeddings();
		int maxNew = Math.min(sampling.maxNewTokens(), contextLength - n);
		if (cancelled.getAsBoolean()) {
			// Cancelled while waiting: skip the prefill, which is the expensive part of a long prompt.
			CompressionReport none = new CompressionReport(policy.name(), request.compression(), 0, n,
					prompt.layout().imageTokenCount(), List.of(), 0, 0, 0, 0);
			long now = System.nanoTime() - start;
			return new GenerationResult("", new int[0], FinishReason.CANCELLED, n, prompt.layout().imageTokenCount(),
					none, now, 0, 0, now);
		}
		long held = 0;
		try (NDManager scope = this.model.newRequestManager()) {
			KvCache cache = this.model.newCache(scope, n + maxNew);
			CompressionRun run = policy.begin(prompt.layout(), request.compression(), this.model.numLayers());
			float[] logits;
			try (NDManager prefillScope = scope.newSubManager()) {
				NDArray embeddings = this.model.promptEmbeddings(prefillScope, prompt, prepared);
				logits = this.model.forward(prefillScope, embeddings, cache, 0, run, false, prompt.positions())
					.toFloatArray();
			}
			long prefillEnd = System.nanoTime();
			held = track(held, cache.bytes());
			CompressionReport report = CacheCompressor.apply(cache, run, policy.name(), request.compression(),
					prompt.layout(), maxNew);
			held = track(held, cache.bytes());
			long bytesPerToken = report.promptTokens() == 0 ? 0 : report.kvBytesBefore() / report.promptTokens();
			Sampler sampler = new Sampler(sampling);
			IncrementalDecoder decoder = new IncrementalDecoder(this.model.tokenizer());
			StopSequenceMatcher stops = new StopSequenceMatcher(sampling.stop());
			List<Integer> tokens = new ArrayList<>();
			FinishReason finish = FinishReason.LENGTH;
			long firstToken = 0;
			long decodeStart = 0;
			for (int step = 0; step < maxNew; step++) {
				if (cancelled.getAsBoolean()) {
					finish = FinishReason.CANCELLED;
					break;
				}
				if (step > 0) {
					try (NDManager stepScope = scope.newSubManager()) {
						NDArray embedding = this.model.embedTokens(stepScope, tokens.get(tokens.size() - 1));
						logits = this.model
							.forward(stepScope, embedding, cache, n + step - 1, AttentionObserver.NONE, false,
									prompt.positions())
							.toFloatArray();
					}
					held = track(held, held + bytesPerToken);
				}
				int token = sampler.next(logits);
				if (step == 0) {
					firstToken = System.nanoTime() - start;
					decodeStart = System.nanoTime();
				}
				if (sampling.stopOnEos() && this.eosIds.contains(token)) {
					finish = FinishReason.STOP;
					break;
				}
				tokens.add(token);
				String piece = stops.add(decoder.add(token));
				listener.onToken(token, piece);
				if (stops.stopped()) {
					finish = FinishReason.STOP_SEQUENCE;
					break;
				}
			}
			String tail = stops.flush();
			if (!tail.isEmpty()) {
				listener.onToken(-1, tail);
			}
			long end = System.nanoTime();
			return new GenerationResult(stops.text(), tokens.stream().mapToInt(Integer::intValue).toArray(), finish, n,
					prompt.layout().imageTokenCount(), report, prefillEnd - start, firstToken,
					decodeStart == 0 ? 0 : end - decodeStart, end - start);
		}
		finally {
			this.kvBytesInFlight.addAndGet(-held);
		}
	}

	private long track(long previous, long now) {
		this.kvBytesInFlight.addAndGet(now - previous);
		return now;
	}

}
