package dev.vlcache.core.family.llavanext;

import java.util.List;
import java.util.Map;

import dev.vlcache.core.family.PreparedImage;

/**
 * One image as LLaVA-NeXT's processor leaves it: the base tile (the whole image resized to one tile) and the grid
 * tiles row by row, each [3, tile, tile].
 *
 * @param pixels [tiles, 3, tile, tile] pixel values, base tile first
 * @param tiles tiles, base tile included ({@code image_num_patches})
 * @param height the original image's height ({@code image_sizes})
 * @param width the original image's width
 * @param tokens prompt tokens of the image
 */
record TiledImage(float[] pixels, int tiles, int height, int width, int tokens) implements PreparedImage {

	@Override
	public PreparedImage withPixels(float[] replacement) {
		if (replacement.length != this.pixels.length) {
			throw new IllegalArgumentException("expected " + this.pixels.length + " pixel values, got " + replacement.length);
		}
		return new TiledImage(replacement, this.tiles, this.height, this.width, this.tokens);
	}

	@Override
	public Map<String, List<Integer>> processorOutputs() {
		return Map.of("image_sizes", List.of(this.height, this.width), "image_num_patches", List.of(this.tiles));
	}

}
