package dev.vlcache.core.generation;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import ai.djl.ndarray.NDManager;

import dev.vlcache.core.LlavaModel;
import dev.vlcache.core.kv.KvCache;

/**
 * Runs one request at a time on the calling thread, on a {@link LlavaModel}: images are decoded and encoded, the
 * prompt is prefilled while the compression policy observes the attention rows it needs, the cache is compressed
 * once, then tokens are decoded one at a time until EOS, a stop string, the token limit or cancellation (the
 * steps of a {@link Sequence}). Serving many requests together is {@code dev.vlcache.core.serving.BatchScheduler}'s
 * job; a request run here decodes through the same batched step, with a batch of one.
 *
 * <p>
 * Every array a request creates belongs to the request's manager and is freed when it ends, whatever the
 * outcome; the per-step arrays of decoding are freed at every step.
 */
public final class Generator {

	private final LlavaModel model;

	private final AtomicLong kvBytesInFlight = new AtomicLong();

	public Generator(LlavaModel model) {
		this.model = model;
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
		long held = 0;
		try (Sequence sequence = Sequence.prepare(this.model, request, listener, cancelled)) {
			// Cancelled while waiting: skip the prefill, which is the expensive part of a long prompt.
			if (sequence.checkCancelled()) {
				return sequence.result();
			}
			sequence.begin();
			sequence.prefill(0);
			held = track(held, sequence.heldKvBytes());
			List<KvCache> caches = new ArrayList<>(1);
			while (!sequence.checkCancelled()) {
				caches.clear();
				caches.add(sequence.cache());
				try (NDManager stepScope = this.model.newRequestManager()) {
					float[] logits = this.model
						.decode(stepScope, new long[] { sequence.nextToken() }, caches,
								new int[] { sequence.nextIndex() }, List.of(sequence.rotary()))
						.toFloatArray();
					sequence.acceptStep(logits);
				}
				held = track(held, sequence.heldKvBytes());
			}
			return sequence.result();
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
