package dev.vlcache.autoconfigure;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import dev.vlcache.ai.CompressionMetadata;
import dev.vlcache.ai.VlCacheRequestListener;
import dev.vlcache.core.generation.GenerationResult;

/** Keeps the per-layer profile of the most recent requests for the {@code vlcache} Actuator endpoint. */
public class VlCacheRecentRequests implements VlCacheRequestListener {

	/** Profiles kept. */
	public static final int CAPACITY = 20;

	private final Deque<Profile> profiles = new ArrayDeque<>();

	/**
	 * One request's profile.
	 *
	 * @param finishedAt when it finished
	 * @param finishReason why generation ended
	 * @param promptTokens prompt tokens (image tokens included)
	 * @param completionTokens generated tokens
	 * @param queueMillis wait for admission to the batch
	 * @param prefillMillis prefill time
	 * @param decodeMillisPerToken mean decode step
	 * @param compression the compression report
	 */
	public record Profile(Instant finishedAt, String finishReason, int promptTokens, int completionTokens,
			double queueMillis, double prefillMillis, double decodeMillisPerToken, CompressionMetadata compression) {
	}

	@Override
	public void onSuccess(String policy, GenerationResult result) {
		Profile p = new Profile(Instant.now(), result.finishReason().name(), result.promptTokens(),
				result.completionTokens(), result.queueNanos() / 1e6, result.prefillNanos() / 1e6, result.decodeNanosPerToken() / 1e6,
				CompressionMetadata.of(result.compression()));
		synchronized (this.profiles) {
			this.profiles.addFirst(p);
			while (this.profiles.size() > CAPACITY) {
				this.profiles.removeLast();
			}
		}
	}

	/** Most recent first. */
	public List<Profile> recent() {
		synchronized (this.profiles) {
			return new ArrayList<>(this.profiles);
		}
	}

}
