package dev.vlcache.core.config;

import java.nio.file.Files;
import java.nio.file.Path;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import dev.vlcache.core.checkpoint.CheckpointException;

/**
 * {@code Qwen2VLImageProcessor}'s settings from {@code preprocessor_config.json}: the pixel range an image is
 * resized into ({@code min_pixels} / {@code max_pixels}, or {@code size.shortest_edge} / {@code longest_edge} in
 * newer files), the patch geometry, rescaling and normalisation. Omitted fields take the processor's defaults.
 *
 * @param minPixels fewest pixels after resizing
 * @param maxPixels most pixels after resizing
 * @param patchSize spatial patch side
 * @param temporalPatchSize frames per patch (an image is repeated to fill them)
 * @param mergeSize patches per side that the merger folds into one token
 * @param rescaleFactor multiplier applied to 0..255 values
 * @param doRescale whether to rescale
 * @param mean per-channel normalisation mean
 * @param std per-channel normalisation standard deviation
 * @param doNormalize whether to normalise
 */
public record Qwen2VlProcessorConfig(int minPixels, int maxPixels, int patchSize, int temporalPatchSize,
		int mergeSize, double rescaleFactor, boolean doRescale, double[] mean, double[] std, boolean doNormalize) {

	private static final double[] CLIP_MEAN = { 0.48145466, 0.4578275, 0.40821073 };

	private static final double[] CLIP_STD = { 0.26862954, 0.26130258, 0.27577711 };

	/** Reads {@code preprocessor_config.json} of {@code folder}, which must name {@code Qwen2VLImageProcessor}. */
	public static Qwen2VlProcessorConfig load(Path folder) {
		Path file = folder.resolve("preprocessor_config.json");
		if (!Files.isRegularFile(file)) {
			throw new CheckpointException("Missing preprocessor_config.json in " + folder);
		}
		JsonObject j = ConfigParser.readJson(file);
		String type = ConfigParser.string(j, "image_processor_type", "Qwen2VLImageProcessor");
		if (!type.equals("Qwen2VLImageProcessor") && !type.equals("Qwen2VLImageProcessorFast")) {
			throw new CheckpointException("image_processor_type '" + type + "' in " + file
					+ " is not supported for qwen2_vl; expected Qwen2VLImageProcessor");
		}
		if (j.has("resample") && j.get("resample").getAsInt() != 3) {
			throw new CheckpointException("resample " + j.get("resample").getAsInt() + " in " + file
					+ " is not supported; only 3 (bicubic) is implemented");
		}
		JsonElement size = j.get("size");
		JsonObject s = size != null && size.isJsonObject() ? size.getAsJsonObject() : new JsonObject();
		int min = ConfigParser.integer(j, "min_pixels", ConfigParser.integer(s, "shortest_edge", 56 * 56));
		int max = ConfigParser.integer(j, "max_pixels", ConfigParser.integer(s, "longest_edge", 28 * 28 * 1280));
		if (min < 1 || max < min) {
			throw new CheckpointException("min_pixels " + min + " and max_pixels " + max + " in " + file
					+ " are not a valid range");
		}
		return new Qwen2VlProcessorConfig(min, max, ConfigParser.integer(j, "patch_size", 14),
				ConfigParser.integer(j, "temporal_patch_size", 2), ConfigParser.integer(j, "merge_size", 2),
				ConfigParser.number(j, "rescale_factor", 1 / 255.0), ConfigParser.bool(j, "do_rescale", true),
				PreprocessorConfig.triple(j, "image_mean", CLIP_MEAN), PreprocessorConfig.triple(j, "image_std", CLIP_STD),
				ConfigParser.bool(j, "do_normalize", true));
	}

	/** The side lengths a resized image's height and width are multiples of: patch x merge. */
	public int factor() {
		return this.patchSize * this.mergeSize;
	}

}
