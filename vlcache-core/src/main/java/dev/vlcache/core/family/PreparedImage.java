package dev.vlcache.core.family;

import java.util.List;
import java.util.Map;

/**
 * One image made ready for its family's vision encoder, before any model work: its pixel values in the layout
 * the family's Hugging Face image processor emits for that image, and how many prompt tokens it becomes. Each
 * family has its own kind, carrying what its encoder needs besides the pixels (tile grid, patch grid).
 */
public interface PreparedImage {

	/** The pixel values of {@code images} one after the other, as the encoder batches them. */
	static float[] concatenatedPixels(List<PreparedImage> images) {
		float[] all = new float[images.stream().mapToInt(i -> i.pixels().length).sum()];
		int offset = 0;
		for (PreparedImage image : images) {
			System.arraycopy(image.pixels(), 0, all, offset, image.pixels().length);
			offset += image.pixels().length;
		}
		return all;
	}

	/** Prompt tokens this image becomes. */
	int tokens();

	/** Pixel values, flattened in the family's layout. */
	float[] pixels();

	/** The same image with other pixel values of the same layout and size (reference values, in tests). */
	PreparedImage withPixels(float[] pixels);

	/**
	 * What the family's Hugging Face processor reports of this image besides its pixels, under its names
	 * ({@code image_sizes}, {@code image_num_patches}, {@code image_grid_thw}); empty when it reports nothing.
	 */
	default Map<String, List<Integer>> processorOutputs() {
		return Map.of();
	}

}
