package dev.vlcache.core.family;

import dev.vlcache.core.image.RgbImage;

/** A family's image processor: decoded image to {@link PreparedImage}, on the CPU, before any model work. */
@FunctionalInterface
public interface ImagePreparer {

	/**
	 * Prepares {@code image}, called {@code name} in errors.
	 * @throws IllegalArgumentException naming the image and the limit when the processor cannot take it (too small,
	 * too large, too extreme an aspect ratio)
	 */
	PreparedImage prepare(RgbImage image, String name);

}
