package dev.vlcache.core.family.llavanext;

import dev.vlcache.core.family.ImagePreparer;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.image.BicubicResampler;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.image.RgbImage;

/**
 * {@code LlavaNextImageProcessor} (and OneVision's): the image is resized to fit its best grid resolution with its
 * aspect ratio kept, padded with black to fill it (the remainder of an odd margin on the bottom and right), cut
 * into tiles row by row; the whole image squashed to one tile goes first. Every tile then passes through the
 * processor's ordinary resize, crop, rescale and normalisation.
 */
final class TilingImagePreparer implements ImagePreparer {

	/** Below this many pixels on a side an image has no rows of features left once unpadded. */
	private static final int MIN_SIDE = 2;

	private final AnyResolution geometry;

	private final ImageProcessor tileProcessor;

	private final int baseSide;

	/**
	 * @param baseSide the side the whole image is squashed to (the processor's {@code size})
	 */
	TilingImagePreparer(AnyResolution geometry, ImageProcessor tileProcessor, int baseSide) {
		this.geometry = geometry;
		this.tileProcessor = tileProcessor;
		this.baseSide = baseSide;
	}

	@Override
	public PreparedImage prepare(RgbImage image, String name) {
		int h = image.height();
		int w = image.width();
		if (h < MIN_SIDE || w < MIN_SIDE) {
			throw new IllegalArgumentException(name + " is " + w + "x" + h + " pixels; this model's processor needs at "
					+ "least " + MIN_SIDE + " on each side");
		}
		int[] features = this.geometry.gridFeatures(h, w);
		if (features[0] < 1 || features[1] < 1) {
			throw new IllegalArgumentException(name + " (" + w + "x" + h + ") is too elongated for this model's grid "
					+ "resolutions: no row of features would be left once its padding is cut off");
		}
		int[] best = this.geometry.bestResolution(h, w);
		int[] fitted = AnyResolution.fitInside(h, w, best);
		RgbImage resized = BicubicResampler.resize(image, fitted[1], fitted[0]);
		RgbImage padded = pad(resized, best[0], best[1]);
		int tile = this.geometry.tile();
		int rows = best[0] / tile;
		int columns = best[1] / tile;
		int per = 3 * tile * tile;
		float[] pixels = new float[(1 + rows * columns) * per];
		float[] base = this.tileProcessor.preprocess(BicubicResampler.resize(image, this.baseSide, this.baseSide));
		copy(base, pixels, 0, per, name);
		for (int r = 0; r < rows; r++) {
			for (int c = 0; c < columns; c++) {
				float[] one = this.tileProcessor.preprocess(crop(padded, r * tile, c * tile, tile));
				copy(one, pixels, (1 + r * columns + c) * per, per, name);
			}
		}
		return new TiledImage(pixels, 1 + rows * columns, h, w, this.geometry.tokens(h, w));
	}

	private static void copy(float[] tile, float[] into, int offset, int expected, String name) {
		if (tile.length != expected) {
			throw new IllegalArgumentException(name + ": a tile preprocessed to " + tile.length / 3
					+ " pixels, expected " + expected / 3 + " (check preprocessor_config.json)");
		}
		System.arraycopy(tile, 0, into, offset, expected);
	}

	/** Centres {@code image} on a black canvas of {@code height} x {@code width}. */
	private static RgbImage pad(RgbImage image, int height, int width) {
		int top = (height - image.height()) / 2;
		int left = (width - image.width()) / 2;
		int[][] planes = new int[3][height * width];
		for (int ch = 0; ch < 3; ch++) {
			int[] src = image.planes()[ch];
			for (int y = 0; y < image.height(); y++) {
				System.arraycopy(src, y * image.width(), planes[ch], (y + top) * width + left, image.width());
			}
		}
		return new RgbImage(width, height, planes);
	}

	private static RgbImage crop(RgbImage image, int top, int left, int side) {
		int[][] planes = new int[3][side * side];
		for (int ch = 0; ch < 3; ch++) {
			int[] src = image.planes()[ch];
			for (int y = 0; y < side; y++) {
				System.arraycopy(src, (top + y) * image.width() + left, planes[ch], y * side, side);
			}
		}
		return new RgbImage(side, side, planes);
	}

}
