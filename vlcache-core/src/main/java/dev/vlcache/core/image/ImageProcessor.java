package dev.vlcache.core.image;

import java.nio.file.Files;
import java.nio.file.Path;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;
import dev.vlcache.core.config.ConfigParser;

/**
 * Turns an image into the vision tower's input as {@code preprocessor_config.json} prescribes.
 *
 * <p>
 * Two families, as in Hugging Face: {@code CLIPImageProcessor} (resize the shortest edge with bicubic, centre
 * crop, rescale, normalise) and {@code SiglipImageProcessor} (resize to an exact size, rescale, normalise). Fields
 * absent from the file take that processor's defaults.
 *
 * @param resizeShortestEdge target of the shortest edge, or 0 when resizing to an exact size
 * @param resizeHeight exact resize height (when {@code resizeShortestEdge} is 0)
 * @param resizeWidth exact resize width
 * @param doResize whether to resize at all
 * @param cropHeight centre-crop height, or 0 for no crop
 * @param cropWidth centre-crop width
 * @param rescaleFactor multiplier applied to 0..255 values (when rescaling)
 * @param doRescale whether to rescale
 * @param mean per-channel normalisation mean
 * @param std per-channel normalisation standard deviation
 * @param doNormalize whether to normalise
 */
public record ImageProcessor(int resizeShortestEdge, int resizeHeight, int resizeWidth, boolean doResize,
		int cropHeight, int cropWidth, double rescaleFactor, boolean doRescale, double[] mean, double[] std,
		boolean doNormalize) {

	private static final double[] CLIP_MEAN = { 0.48145466, 0.4578275, 0.40821073 };

	private static final double[] CLIP_STD = { 0.26862954, 0.26130258, 0.27577711 };

	private static final double[] HALF = { 0.5, 0.5, 0.5 };

	/** Reads {@code preprocessor_config.json} from {@code folder}. */
	public static ImageProcessor load(Path folder) {
		Path file = folder.resolve("preprocessor_config.json");
		if (!Files.isRegularFile(file)) {
			throw new CheckpointException("Missing preprocessor_config.json in " + folder);
		}
		return fromJson(ConfigParser.readJson(file), file.toString());
	}

	static ImageProcessor fromJson(JsonObject j, String source) {
		String type = j.has("image_processor_type") ? j.get("image_processor_type").getAsString() : "CLIPImageProcessor";
		boolean siglip = type.startsWith("Siglip");
		if (!siglip && !type.startsWith("CLIP")) {
			throw new CheckpointException("image_processor_type '" + type + "' in " + source
					+ " is not supported; supported: CLIPImageProcessor, SiglipImageProcessor");
		}
		if (j.has("resample") && j.get("resample").getAsInt() != 3) {
			throw new CheckpointException("resample " + j.get("resample").getAsInt() + " in " + source
					+ " is not supported; only 3 (bicubic) is implemented");
		}
		int shortest = 0;
		int height;
		int width;
		JsonElement size = j.get("size");
		if (siglip) {
			height = width = 224;
		}
		else {
			shortest = 224;
			height = width = 0;
		}
		if (size != null && size.isJsonPrimitive()) {
			if (siglip) {
				height = width = size.getAsInt();
			}
			else {
				shortest = size.getAsInt();
			}
		}
		else if (size != null && size.isJsonObject()) {
			JsonObject s = size.getAsJsonObject();
			if (s.has("shortest_edge")) {
				shortest = s.get("shortest_edge").getAsInt();
			}
			else if (s.has("height") && s.has("width")) {
				shortest = 0;
				height = s.get("height").getAsInt();
				width = s.get("width").getAsInt();
			}
		}
		boolean doCrop = bool(j, "do_center_crop", !siglip);
		int cropH = 0;
		int cropW = 0;
		if (doCrop) {
			cropH = cropW = 224;
			JsonElement crop = j.get("crop_size");
			if (crop != null && crop.isJsonPrimitive()) {
				cropH = cropW = crop.getAsInt();
			}
			else if (crop != null && crop.isJsonObject()) {
				cropH = crop.getAsJsonObject().get("height").getAsInt();
				cropW = crop.getAsJsonObject().get("width").getAsInt();
			}
		}
		return new ImageProcessor(shortest, height, width, bool(j, "do_resize", true), cropH, cropW,
				j.has("rescale_factor") ? j.get("rescale_factor").getAsDouble() : 1 / 255.0, bool(j, "do_rescale", true),
				triple(j, "image_mean", siglip ? HALF : CLIP_MEAN), triple(j, "image_std", siglip ? HALF : CLIP_STD),
				bool(j, "do_normalize", true));
	}

	/** Preprocesses one image into channels-first floats [3 * H * W]. */
	public float[] preprocess(RgbImage image) {
		RgbImage img = image;
		if (this.doResize) {
			int w;
			int h;
			if (this.resizeShortestEdge > 0) {
				// Hugging Face's get_resize_output_image_size(default_to_square=False): the long side is truncated.
				boolean portrait = img.height() > img.width();
				int shortSide = Math.min(img.width(), img.height());
				int longSide = Math.max(img.width(), img.height());
				int newLong = (int) ((long) this.resizeShortestEdge * longSide / shortSide);
				w = portrait ? this.resizeShortestEdge : newLong;
				h = portrait ? newLong : this.resizeShortestEdge;
			}
			else {
				w = this.resizeWidth;
				h = this.resizeHeight;
			}
			img = BicubicResampler.resize(img, w, h);
		}
		int top = 0;
		int left = 0;
		int outH = img.height();
		int outW = img.width();
		if (this.cropHeight > 0 && this.cropWidth > 0) {
			top = Math.floorDiv(img.height() - this.cropHeight, 2);
			left = Math.floorDiv(img.width() - this.cropWidth, 2);
			outH = this.cropHeight;
			outW = this.cropWidth;
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
					if (this.doRescale) {
						v = (float) (v * this.rescaleFactor);
					}
					if (this.doNormalize) {
						v = (v - this.mean[c]) / this.std[c];
					}
					out[(c * outH + y) * outW + x] = (float) v;
				}
			}
		}
		return out;
	}

	/** Output height and width of {@link #preprocess}, independent of the input for cropping/exact processors. */
	public int[] outputSize() {
		if (this.cropHeight > 0) {
			return new int[] { this.cropHeight, this.cropWidth };
		}
		if (this.resizeShortestEdge == 0) {
			return new int[] { this.resizeHeight, this.resizeWidth };
		}
		return new int[] { -1, -1 };
	}

	private static boolean bool(JsonObject j, String key, boolean fallback) {
		return j.has(key) && !j.get(key).isJsonNull() ? j.get(key).getAsBoolean() : fallback;
	}

	private static double[] triple(JsonObject j, String key, double[] fallback) {
		JsonElement e = j.get(key);
		if (e == null || e.isJsonNull()) {
			return fallback.clone();
		}
		if (e.isJsonPrimitive()) {
			double v = e.getAsDouble();
			return new double[] { v, v, v };
		}
		double[] out = new double[3];
		for (int i = 0; i < 3; i++) {
			out[i] = e.getAsJsonArray().get(i).getAsDouble();
		}
		return out;
	}

}
