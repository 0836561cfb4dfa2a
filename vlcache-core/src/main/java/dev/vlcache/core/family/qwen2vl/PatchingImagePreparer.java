package dev.vlcache.core.family.qwen2vl;

import java.util.List;

import dev.vlcache.core.config.PreprocessorConfig;
import dev.vlcache.core.config.Qwen2VlProcessorConfig;
import dev.vlcache.core.family.ImagePreparer;
import dev.vlcache.core.family.PreparedImage;
import dev.vlcache.core.image.ImageProcessor;
import dev.vlcache.core.image.RgbImage;

/**
 * {@code Qwen2VLImageProcessor}: {@code smart_resize} to sides that are multiples of patch x merge with a pixel
 * count in [min_pixels, max_pixels], bicubic resize, rescale and normalise, the image repeated over the temporal
 * patch, then cut into patches ordered by merge block (blocks row by row, the patches of a block row by row), each
 * flattened as (channel, frame, row, column).
 */
final class PatchingImagePreparer implements ImagePreparer {

	/** {@code smart_resize} refuses images more elongated than this. */
	static final int MAX_ASPECT = 200;

	private final Qwen2VlProcessorConfig config;

	PatchingImagePreparer(Qwen2VlProcessorConfig config) {
		this.config = config;
	}

	/**
	 * [height, width] after {@code smart_resize}: each side rounded to a multiple of the factor (half to even, as
	 * Python rounds), then scaled down or up, keeping the aspect ratio, into the pixel range.
	 */
	int[] smartResize(int height, int width, String name) {
		int factor = this.config.factor();
		if (height < factor || width < factor) {
			throw new IllegalArgumentException(name + " is " + width + "x" + height + " pixels; Qwen2-VL's processor "
					+ "needs at least " + factor + " on each side");
		}
		if ((double) Math.max(height, width) / Math.min(height, width) > MAX_ASPECT) {
			throw new IllegalArgumentException(name + " is " + width + "x" + height + " pixels; Qwen2-VL's processor "
					+ "refuses aspect ratios above " + MAX_ASPECT + ":1");
		}
		long h = (long) Math.rint((double) height / factor) * factor;
		long w = (long) Math.rint((double) width / factor) * factor;
		if (h * w > this.config.maxPixels()) {
			double beta = Math.sqrt((double) height * width / this.config.maxPixels());
			h = (long) Math.floor(height / beta / factor) * factor;
			w = (long) Math.floor(width / beta / factor) * factor;
		}
		else if (h * w < this.config.minPixels()) {
			double beta = Math.sqrt(this.config.minPixels() / ((double) height * width));
			h = (long) Math.ceil(height * beta / factor) * factor;
			w = (long) Math.ceil(width * beta / factor) * factor;
		}
		return new int[] { (int) h, (int) w };
	}

	@Override
	public PreparedImage prepare(RgbImage image, String name) {
		int[] size = smartResize(image.height(), image.width(), name);
		int height = size[0];
		int width = size[1];
		ImageProcessor resize = new ImageProcessor(new PreprocessorConfig(0, height, width, true, 0, 0,
				this.config.rescaleFactor(), this.config.doRescale(), this.config.mean(), this.config.std(),
				this.config.doNormalize(), "Qwen2VLImageProcessor", List.of()));
		float[] chw = resize.preprocess(image);
		int p = this.config.patchSize();
		int m = this.config.mergeSize();
		int frames = this.config.temporalPatchSize();
		int gh = height / p;
		int gw = width / p;
		int per = 3 * frames * p * p;
		float[] patches = new float[gh * gw * per];
		int row = 0;
		for (int bh = 0; bh < gh / m; bh++) {
			for (int bw = 0; bw < gw / m; bw++) {
				for (int mh = 0; mh < m; mh++) {
					for (int mw = 0; mw < m; mw++) {
						int y0 = (bh * m + mh) * p;
						int x0 = (bw * m + mw) * p;
						int o = row * per;
						for (int c = 0; c < 3; c++) {
							for (int f = 0; f < frames; f++) {
								for (int y = 0; y < p; y++) {
									System.arraycopy(chw, (c * height + y0 + y) * width + x0, patches, o, p);
									o += p;
								}
							}
						}
						row++;
					}
				}
			}
		}
		return new PatchedImage(patches, 1, gh, gw, gh * gw / (m * m));
	}

}
