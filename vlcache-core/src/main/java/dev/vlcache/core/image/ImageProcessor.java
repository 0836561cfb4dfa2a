package dev.vlcache.core.image;

import java.nio.file.Path;

import dev.vlcache.core.config.PreprocessorConfig;

/**
 * Turns an image into the vision tower's input as {@code preprocessor_config.json} prescribes
 * ({@link PreprocessorConfig}): resize with PIL's bicubic, centre crop, rescale, normalise.
 *
 * @param config the processor's settings
 */
public record ImageProcessor(PreprocessorConfig config) {

	/** Reads {@code preprocessor_config.json} from {@code folder}. */
	public static ImageProcessor load(Path folder) {
		return new ImageProcessor(PreprocessorConfig.load(folder));
	}

	/** Preprocesses one image into channels-first floats [3 * H * W]. */
	public float[] preprocess(RgbImage image) {
		RgbImage img = image;
		if (this.config.doResize()) {
			int w;
			int h;
			if (this.config.resizeShortestEdge() > 0) {
				// Hugging Face's get_resize_output_image_size(default_to_square=False): the long side is truncated.
				boolean portrait = img.height() > img.width();
				int shortSide = Math.min(img.width(), img.height());
				int longSide = Math.max(img.width(), img.height());
				int newLong = (int) ((long) this.config.resizeShortestEdge() * longSide / shortSide);
				w = portrait ? this.config.resizeShortestEdge() : newLong;
				h = portrait ? newLong : this.config.resizeShortestEdge();
			}
			else {
				w = this.config.resizeWidth();
				h = this.config.resizeHeight();
			}
			img = BicubicResampler.resize(img, w, h);
		}
		int top = 0;
		int left = 0;
		int outH = img.height();
		int outW = img.width();
		if (this.config.cropHeight() > 0 && this.config.cropWidth() > 0) {
			top = Math.floorDiv(img.height() - this.config.cropHeight(), 2);
			left = Math.floorDiv(img.width() - this.config.cropWidth(), 2);
			outH = this.config.cropHeight();
			outW = this.config.cropWidth();
		}
		float[] out = new float[3 * outH * outW];
		for (int c = 0; c < 3; c++) {
			int[] plane = img.planes()[c];
			for (int y = 0; y < outH; y++) {
				int sy = y + top;
				for (int x = 0; x < outW; x++) {
					int sx = x + left;
					// Centre crop pads with zeros where the image is smaller than the crop, as HF does.
					double v = (sy < 0 || sx < 0 || sy >= img.height() || sx >= img.width()) ? 0
							: plane[sy * img.width() + sx];
					if (this.config.doRescale()) {
						v = (float) (v * this.config.rescaleFactor());
					}
					if (this.config.doNormalize()) {
						v = (v - this.config.mean()[c]) / this.config.std()[c];
					}
					out[(c * outH + y) * outW + x] = (float) v;
				}
			}
		}
		return out;
	}

	/** Output height and width of {@link #preprocess}; -1 where they depend on the input. */
	public int[] outputSize() {
		return this.config.outputSize();
	}

}
