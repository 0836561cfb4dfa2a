package dev.vlcache.core.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;

/**
 * The image processor settings of {@code preprocessor_config.json}.
 *
 * <p>
 * Two processors, as in Hugging Face: {@code CLIPImageProcessor} (resize the shortest edge with bicubic, centre
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
 * @param processorType {@code image_processor_type}
 * @param imageGridPinpoints the any-resolution grid's candidate [height, width] resolutions
 * ({@code LlavaNextImageProcessor}, {@code LlavaOnevisionImageProcessor}), else empty
 */
public record PreprocessorConfig(int resizeShortestEdge, int resizeHeight, int resizeWidth, boolean doResize,
		int cropHeight, int cropWidth, double rescaleFactor, boolean doRescale, double[] mean, double[] std,
		boolean doNormalize, String processorType, List<int[]> imageGridPinpoints) {

	/** The processors this engine implements (Qwen2-VL's has its own, {@link Qwen2VlProcessorConfig}). */
	static final List<String> SUPPORTED = List.of("CLIPImageProcessor", "SiglipImageProcessor",
			"LlavaNextImageProcessor", "LlavaOnevisionImageProcessor");

	private static final double[] CLIP_MEAN = { 0.48145466, 0.4578275, 0.40821073 };

	private static final double[] CLIP_STD = { 0.26862954, 0.26130258, 0.27577711 };

	private static final double[] HALF = { 0.5, 0.5, 0.5 };

	/** Reads {@code preprocessor_config.json} from {@code folder}. */
	public static PreprocessorConfig load(Path folder) {
		Path file = folder.resolve("preprocessor_config.json");
		if (!Files.isRegularFile(file)) {
			throw new CheckpointException("Missing preprocessor_config.json in " + folder);
		}
		return fromJson(ConfigParser.readJson(file), file.toString());
	}

	/** Parses the settings of {@code j}, read from {@code source} (named in errors). */
	public static PreprocessorConfig fromJson(JsonObject j, String source) {
		String type = j.has("image_processor_type") ? j.get("image_processor_type").getAsString() : "CLIPImageProcessor";
		// "...Fast" processors compute the same thing with torchvision; their settings are the same.
		String base = type.endsWith("Fast") ? type.substring(0, type.length() - 4) : type;
		if (!SUPPORTED.contains(base)) {
			throw new CheckpointException("image_processor_type '" + type + "' in " + source
					+ " is not supported; supported: " + String.join(", ", SUPPORTED) + ", Qwen2VLImageProcessor");
		}
		boolean onevision = base.equals("LlavaOnevisionImageProcessor");
		// SigLIP and OneVision resize to an exact size; CLIP and LLaVA-NeXT resize the shortest edge and crop.
		boolean exactSize = base.equals("SiglipImageProcessor") || onevision;
		boolean halfNormalised = base.equals("SiglipImageProcessor");
		if (j.has("resample") && j.get("resample").getAsInt() != 3) {
			throw new CheckpointException("resample " + j.get("resample").getAsInt() + " in " + source
					+ " is not supported; only 3 (bicubic) is implemented");
		}
		int shortest = 0;
		int height;
		int width;
		JsonElement size = j.get("size");
		if (exactSize) {
			height = width = onevision ? 384 : 224;
		}
		else {
			shortest = 224;
			height = width = 0;
		}
		if (size != null && size.isJsonPrimitive()) {
			if (exactSize) {
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
		boolean doCrop = bool(j, "do_center_crop", !exactSize);
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
		return new PreprocessorConfig(shortest, height, width, bool(j, "do_resize", true), cropH, cropW,
				j.has("rescale_factor") ? j.get("rescale_factor").getAsDouble() : 1 / 255.0, bool(j, "do_rescale", true),
				triple(j, "image_mean", halfNormalised ? HALF : CLIP_MEAN),
				triple(j, "image_std", halfNormalised ? HALF : CLIP_STD), bool(j, "do_normalize", true), base,
				pinpoints(j, source));
	}

	private static List<int[]> pinpoints(JsonObject j, String source) {
		JsonElement e = j.get("image_grid_pinpoints");
		if (e == null || e.isJsonNull()) {
			return List.of();
		}
		List<int[]> out = new ArrayList<>();
		for (JsonElement p : e.getAsJsonArray()) {
			if (!p.isJsonArray() || p.getAsJsonArray().size() != 2) {
				throw new CheckpointException("image_grid_pinpoints in " + source + " must be [height, width] pairs, got " + p);
			}
			out.add(new int[] { p.getAsJsonArray().get(0).getAsInt(), p.getAsJsonArray().get(1).getAsInt() });
		}
		return List.copyOf(out);
	}

	/** Output height and width of the image processor, independent of the input for cropping/exact processors. */
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

	static double[] triple(JsonObject j, String key, double[] fallback) {
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
