package dev.vlcache.core.family.qwen2vl;

import java.util.List;
import java.util.Map;

import dev.vlcache.core.family.PreparedImage;

/**
 * One image as {@code Qwen2VLImageProcessor} leaves it: its flattened patches, grouped by merge block.
 *
 * @param pixels [t x h x w, channels x frames x side x side] patch values
 * @param t frames of patches
 * @param h patch rows
 * @param w patch columns
 * @param tokens prompt tokens (t x h x w / merge²)
 */
record PatchedImage(float[] pixels, int t, int h, int w, int tokens) implements PreparedImage {

	int patches() {
		return this.t * this.h * this.w;
	}

	@Override
	public PreparedImage withPixels(float[] replacement) {
		if (replacement.length != this.pixels.length) {
			throw new IllegalArgumentException("expected " + this.pixels.length + " pixel values, got " + replacement.length);
		}
		return new PatchedImage(replacement, this.t, this.h, this.w, this.tokens);
	}

	@Override
	public Map<String, List<Integer>> processorOutputs() {
		return Map.of("image_grid_thw", List.of(this.t, this.h, this.w));
	}

}
