package dev.vlcache.core.family.llava;

import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.image.RgbImage;

/**
 * One image as LLaVA-1.5's processor leaves it: [3, side, side] pixel values.
 *
 * @param pixels channels-first pixel values
 * @param side the tower's input resolution
 * @param tokens image tokens (the same for every image)
 */
record LlavaImage(float[] pixels, int side, int tokens) implements PreparedImage {

	static LlavaImage of(ImageProcessor processor, RgbImage image, String name, int side, int tokens) {
		float[] pixels = processor.preprocess(image);
		if (pixels.length != 3 * side * side) {
			throw new IllegalArgumentException(name + " preprocessed to " + pixels.length / 3 + " pixels, expected "
					+ side + "x" + side + " (check preprocessor_config.json)");
		}
		return new LlavaImage(pixels, side, tokens);
	}

	@Override
	public PreparedImage withPixels(float[] replacement) {
		if (replacement.length != this.pixels.length) {
			throw new IllegalArgumentException("expected " + this.pixels.length + " pixel values, got " + replacement.length);
		}
		return new LlavaImage(replacement, this.side, this.tokens);
	}

}
