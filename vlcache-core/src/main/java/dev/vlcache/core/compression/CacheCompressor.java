package dev.vlcache.core.compression;

import java.util.ArrayList;
import java.util.List;

import dev.vlcache.core.kv.KvCache;
import dev.vlcache.core.tokenizer.PromptLayout;

/** Applies a {@link KeepPlan} to a freshly prefilled cache and reports what it did. */
public final class CacheCompressor {

	private CacheCompressor() {
	}

	/**
	 * Shrinks every layer of {@code cache} to its planned entries, leaving room for {@code reserve} decoded
	 * tokens. The cache must hold exactly the prompt (entry index = prompt position).
	 */
	public static CompressionReport apply(KvCache cache, CompressionRun run, String policy, CompressionOptions options,
			PromptLayout prompt, int reserve) {
		long start = System.nanoTime();
		KeepPlan plan = run.plan();
		long before = cache.bytes();
		List<LayerCompression> layers = new ArrayList<>(cache.numLayers());
		for (int l = 0; l < cache.numLayers(); l++) {
			int[] kept = plan.kept()[l];
			if (kept.length != cache.layer(l).length()) {
				cache.layer(l).retain(kept, reserve);
			}
			int image = 0;
			for (int position : kept) {
				if (prompt.isImage(position)) {
					image++;
				}
			}
			layers.add(new LayerCompression(l, plan.sparsity()[l], kept.length, image, kept.length - image));
		}
		long after = cache.bytes();
		return new CompressionReport(policy, options, plan.scoringWindow(), prompt.length(), prompt.imageTokenCount(),
				List.copyOf(layers), before, after, plan.scoringNanos(), System.nanoTime() - start);
	}

}
